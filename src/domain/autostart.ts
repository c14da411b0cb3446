import { Either, Schema } from "effect"
import { Duration } from "./duration.js"
import type { Finding } from "./findings.js"
import { decodeWithFindings } from "./lint.js"
import { NAME_PATTERN } from "./name.js"

/** `<home>/autostart.json`: what `orch daemon autostart` (and so a boot) starts, in which order. */

const Name = Schema.String.annotations({ message: (issue) => `must be an instance name, got ${JSON.stringify(issue.actual)}` }).pipe(
  Schema.pattern(NAME_PATTERN, { message: () => "is not an instance name: lowercase letters, digits, - and _" })
).annotations({
  description: "An instance of this home (a folder under instances/)"
})

const Entry = Schema.Struct({
  name: Name,
  order: Schema.optionalWith(Schema.Number.annotations({ description: "Lower starts first; entries without one follow, as listed" }), { exact: true }),
  delay: Schema.optionalWith(Duration({ maxMs: 86_400_000, description: "How long to wait before starting this one" }), { exact: true })
})

/** The file once read: every entry as an object (a name alone is { "name": ... }). */
export const Autostart = Schema.Struct({
  $schema: Schema.optionalWith(Schema.String, { exact: true }),
  instances: Schema.Array(Entry).annotations({
    description: "The instances to start: names, or {name, order, delay}",
    message: (issue) => `must be a list of instance names, got ${JSON.stringify(issue.actual)}`
  }),
  delay: Schema.optionalWith(Duration({ maxMs: 86_400_000, description: "How long to wait between one start and the next" }), { exact: true, default: () => 0 })
})
export type Autostart = typeof Autostart.Type

export const AUTOSTART_EXAMPLE = '["chat", "coder"], or { "instances": ["chat", { "name": "coder", "delay": "30s" }], "delay": "5s" }'

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value)

const decode = decodeWithFindings(Autostart, `write it like ${AUTOSTART_EXAMPLE}`)

/**
 * Reads a parsed autostart.json. A bare list of names is the simplest way to write "start these":
 * it is { "instances": [...] }; an entry is a name or { name, order, delay }. A file or an entry
 * of another kind is refused in words that show what it must look like, and a problem with a
 * name written alone is reported at that entry, as written.
 */
export const decodeAutostart = (raw: unknown): Either.Either<Autostart, ReadonlyArray<Finding>> => {
  const file = Array.isArray(raw) ? { instances: raw } : raw
  if (!isObject(file)) {
    return Either.left([{ field: "", problem: `must be a list of instance names or an object, got ${JSON.stringify(raw)}`, hint: `write it like ${AUTOSTART_EXAMPLE}` }])
  }
  const entries = file["instances"]
  if (!Array.isArray(entries)) return decode(file)
  const wrongKind = entries.flatMap((entry: unknown, index) =>
    typeof entry === "string" || isObject(entry)
      ? []
      : [{ field: `instances[${index}]`, problem: `must be an instance name or { "name", "order", "delay" }, got ${JSON.stringify(entry)}`, hint: `write it like ${AUTOSTART_EXAMPLE}` }]
  )
  if (wrongKind.length > 0) return Either.left(wrongKind)
  const alone = new Set(entries.flatMap((entry: unknown, index) => (typeof entry === "string" ? [`instances[${index}].name`] : [])))
  return Either.mapLeft(
    decode({ ...file, instances: entries.map((entry: unknown) => (typeof entry === "string" ? { name: entry } : entry)) }),
    (findings) => findings.map((finding) => (alone.has(finding.field) ? { ...finding, field: finding.field.slice(0, -".name".length) } : finding))
  )
}

export interface PlannedStart {
  readonly name: string
  /** How long to wait before this start. */
  readonly delay_ms: number
}

/** The starts in order: by `order` where given, then as listed; each after its delay (the first at once unless it sets one). */
export const planStarts = (autostart: Autostart): ReadonlyArray<PlannedStart> =>
  autostart.instances
    .map((entry, index) => ({ ...entry, index }))
    .sort((a, b) => (a.order ?? Infinity) - (b.order ?? Infinity) || a.index - b.index)
    .map((entry, position) => ({ name: entry.name, delay_ms: entry.delay ?? (position === 0 ? 0 : autostart.delay) }))

/** Names listed more than once: each would only be asked to start twice. */
export const duplicateNames = (autostart: Autostart): ReadonlyArray<string> => {
  const names = autostart.instances.map((entry) => entry.name)
  return [...new Set(names.filter((name, index) => names.indexOf(name) !== index))]
}
