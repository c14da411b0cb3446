import { Either, ParseResult, Schema, SchemaAST as AST } from "effect"
import { EVENT_VERSIONS, Event, type Envelope, type EventOf, type NewEvent, spelledOut } from "../domain/events.js"
import { upcast } from "../domain/upcast.js"
import { BadEvent } from "./errors.js"

/** A row of the events table, as SQLite returns it. */
export interface Row {
  readonly seq: number
  readonly at: number
  readonly instance: string | null
  readonly type: string
  readonly v: number
  readonly data: string
}

const encodeEvent = Schema.encodeSync(Event)
const decodeEvent = Schema.decodeUnknownEither(Event, { errors: "all" })

const EXPECTED = /^Expected (.+), actual (.+)$/s

/**
 * What is wrong with a row's fields, one clause a field ("pid: expected number, got "x""),
 * instead of Schema's tree of the whole event union. Literal choices come as one issue each and
 * are said once ("result: expected "ok" or "loading", got "weird"").
 */
const fieldProblems = (issues: ReadonlyArray<ParseResult.ArrayFormatterIssue>) => {
  const byField = new Map<string, Array<ParseResult.ArrayFormatterIssue>>()
  for (const issue of issues) {
    const field = issue.path.map(String).join(".") || "data"
    byField.set(field, [...(byField.get(field) ?? []), issue])
  }
  return [...byField].map(([field, found]) => {
    if (found.every((issue) => issue._tag === "Missing")) return `${field} is missing`
    const expected = found.map((issue) => EXPECTED.exec(issue.message))
    if (expected.every((match) => match !== null)) {
      return `${field}: expected ${[...new Set(expected.map((match) => match![1]))].join(" or ")}, got ${expected[0]![2]}`
    }
    return `${field}: ${found.map((issue) => issue.message).join("; ")}`
  }).join("; ")
}

/**
 * A probe's data, as Schema would encode it (HealthProbed has no transformations, so the encoded
 * form is the value, in the schema's field order). Probes are nearly all that is written; encoding
 * a hundred a second through Schema was a twentieth of the daemon's garbage.
 */
const probeData = spelledOut<"HealthProbed">()((event: EventOf<"HealthProbed">) =>
  event.reason === undefined
    ? { result: event.result, status: event.status, latency_ms: event.latency_ms, path: event.path }
    : { result: event.result, status: event.status, latency_ms: event.latency_ms, path: event.path, reason: event.reason }
)

/** A request record's data, the same way: the gateway writes one a request, a thousand a second under load. */
const servedData = spelledOut<"RequestServed">()((event: EventOf<"RequestServed">) => {
  const data = {
    endpoint: event.endpoint,
    status: event.status,
    streamed: event.streamed,
    duration_ms: event.duration_ms,
    queued_ms: event.queued_ms,
    ttft_ms: event.ttft_ms,
    prompt_tokens: event.prompt_tokens,
    completion_tokens: event.completion_tokens,
    tokens_per_second: event.tokens_per_second
  }
  return event.error === undefined ? data : { ...data, error: event.error }
})

/** The columns of a new row: `data` is the encoded event without its tag. */
export const toColumns = (input: NewEvent) => {
  if (input.event._tag === "HealthProbed") {
    return { at: input.at, instance: input.instance, type: input.event._tag, v: EVENT_VERSIONS.HealthProbed, data: JSON.stringify(probeData(input.event)) }
  }
  if (input.event._tag === "RequestServed") {
    return { at: input.at, instance: input.instance, type: input.event._tag, v: EVENT_VERSIONS.RequestServed, data: JSON.stringify(servedData(input.event)) }
  }
  const { _tag, ...data } = encodeEvent(input.event)
  return { at: input.at, instance: input.instance, type: _tag, v: EVENT_VERSIONS[_tag], data: JSON.stringify(data) }
}

/** A row as an event in today's shape (upcast if older), or a BadEvent naming its seq. */
export const fromRow = (row: Row): Either.Either<Envelope, BadEvent> => {
  const bad = (problem: string) => Either.left(new BadEvent({ seq: row.seq, type: row.type, problem }))
  let data: Record<string, unknown>
  try {
    data = JSON.parse(row.data)
  } catch {
    return bad("its data is not JSON")
  }
  const lifted = upcast(row.type, row.v, data)
  if (Either.isLeft(lifted)) {
    const problem = lifted.left
    switch (problem._tag) {
      case "UnknownType":
        return bad(`unknown event type "${problem.type}" (written by a newer orch?)`)
      case "NewerVersion":
        return bad(`version ${problem.v} of ${problem.type} is newer than this orch knows (${problem.known}): upgrade orch`)
      case "NoUpcaster":
        return bad(`no upcaster from version ${problem.v} of ${problem.type}`)
    }
  }
  const { type, data: current } = lifted.right
  return Either.match(decodeEvent({ ...current, _tag: type }), {
    onLeft: (error) => bad(fieldProblems(ParseResult.ArrayFormatter.formatErrorSync(error))),
    onRight: (event) => Either.right({ seq: row.seq, at: row.at, instance: row.instance, event })
  })
}

/** The JSON kinds a value of this (encoded) schema node can have; "any" where the schema does not say. */
const jsonKinds = (ast: AST.AST): ReadonlyArray<string> => {
  switch (ast._tag) {
    case "StringKeyword":
    case "TemplateLiteral":
      return ["string"]
    case "NumberKeyword":
      return ["number"]
    case "BooleanKeyword":
      return ["boolean"]
    case "Literal":
      return [ast.literal === null ? "null" : typeof ast.literal]
    case "Union":
      return ast.types.flatMap(jsonKinds)
    case "TupleType":
      return ["array"]
    case "TypeLiteral":
      return ["object"]
    case "Refinement":
    case "Transformation":
      return jsonKinds(ast.from)
    case "Suspend":
      return jsonKinds(ast.f())
    default:
      return ["any"]
  }
}

const kindOf = (value: unknown) => (value === null ? "null" : Array.isArray(value) ? "array" : typeof value)

interface Field {
  readonly name: string
  readonly optional: boolean
  readonly kinds: ReadonlySet<string>
}

/** Each event type's fields as written (today's version), read off the schema once. */
const SHAPES: ReadonlyMap<string, ReadonlyArray<Field>> = new Map(
  (AST.encodedAST(Event.ast) as AST.Union).types.flatMap((member) => {
    if (member._tag !== "TypeLiteral") return []
    const tag = member.propertySignatures.find((signature) => signature.name === "_tag")
    if (tag === undefined || tag.type._tag !== "Literal") return []
    const fields = member.propertySignatures
      .filter((signature) => signature.name !== "_tag")
      .map((signature) => ({ name: String(signature.name), optional: signature.isOptional, kinds: new Set(jsonKinds(signature.type)) }))
    return [[String(tag.type.literal), fields] as const]
  })
)

/**
 * Whether a row's data has its type's fields, each of a JSON kind its schema allows: a check of a
 * few typeofs, so folds stay fast, and a row damaged by hand or disk (a pid of "x") is not folded
 * as if it were whole but goes through the full decode, which says what is wrong with it.
 */
const hasItsShape = (type: string, data: Record<string, unknown>) =>
  SHAPES.get(type)?.every((field) => {
    const value = data[field.name]
    if (value === undefined) return field.optional
    return field.kinds.has("any") || field.kinds.has(kindOf(value))
  }) ?? false

/** A row as SQLite's raw mode returns it: seq, at, instance, type, v, data. */
export type RawRow = readonly [number, number, string | null, string, number, string]

/**
 * The fast read for folds: type and version are checked and old versions upcast, but the
 * shape is trusted, since every row went through `toColumns` (Schema-encoded) on its way in.
 * Schema-decoding a million rows alone takes longer than the whole replay may; `orch journal
 * check` decodes every row fully.
 */
export const fromRawRowTrusted = (row: RawRow): Either.Either<Envelope, BadEvent> => {
  const [seq, at, instance, type, v, text] = row
  let data: Record<string, unknown>
  try {
    data = JSON.parse(text)
  } catch {
    return Either.left(new BadEvent({ seq, type, problem: "its data is not JSON" }))
  }
  if (v === EVENT_VERSIONS[type as keyof typeof EVENT_VERSIONS] && hasItsShape(type, data)) {
    data["_tag"] = type
    return Either.right({ seq, at, instance, event: data as unknown as Event })
  }
  return fromRow({ seq, at, instance, type, v, data: text })
}
