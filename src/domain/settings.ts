import { Either, ParseResult, Schema } from "effect"
import { hostPort } from "./address.js"
import { Duration } from "./duration.js"
import type { Finding } from "./findings.js"
import { decodeWithFindings } from "./lint.js"
import { NAME_PATTERN } from "./name.js"

/**
 * `<home>/orch.json`: the settings of the home as a whole, one section per door of the daemon
 * (`http`, `gateway`). A home without the file has the defaults.
 */

export interface ListenAddress {
  readonly host: string
  readonly port: number
}

/** Where the HTTP API listens, read: an address, or "off" for no listener at all. */
export type Listen = ListenAddress | "off"

/** A value as a message shows it, as config.ts does: short, and 1e999 (JSON.parse's Infinity) not shown as null. */
const show = (value: unknown): string => {
  const text = value === undefined ? "nothing" : typeof value === "number" && !Number.isFinite(value) ? "a number too large to hold" : JSON.stringify(value)
  return text.length > 80 ? `${text.slice(0, 80)}…` : text
}

/** The four numbers of a dotted IPv4 address; leading zeros are refused, as some readers take them for octal. */
const ipv4Octets = (text: string): ReadonlyArray<number> | undefined => {
  const parts = text.split(".")
  if (parts.length !== 4 || !parts.every((part) => /^(0|[1-9]\d{0,2})$/.test(part) && Number(part) <= 255)) return undefined
  return parts.map(Number)
}

/** The eight 16-bit groups of an IPv6 address, `::` filled in; a dotted IPv4 tail (::ffff:127.0.0.1) is the last two. */
const ipv6Groups = (text: string): ReadonlyArray<number> | undefined => {
  const colon = text.lastIndexOf(":")
  const octets = text.includes(".") ? ipv4Octets(text.slice(colon + 1)) : undefined
  if (text.includes(".") && octets === undefined) return undefined
  const hex = octets === undefined ? text : `${text.slice(0, colon + 1)}${(octets[0]! * 256 + octets[1]!).toString(16)}:${(octets[2]! * 256 + octets[3]!).toString(16)}`
  const halves = hex.split("::").map((half) => (half === "" ? [] : half.split(":")))
  const words = halves.flat()
  if (halves.length > 2 || !words.every((word) => /^[0-9a-fA-F]{1,4}$/.test(word))) return undefined
  if (halves.length === 1 ? words.length !== 8 : words.length > 7) return undefined
  const [head = [], tail = []] = halves.map((half) => half.map((word) => parseInt(word, 16)))
  return [...head, ...Array<number>(8 - words.length).fill(0), ...tail]
}

/** Reachable only from this machine: 127.0.0.0/8, ::1 (also as ::ffff:127.x.x.x) or localhost. */
export const isLoopback = (host: string): boolean => {
  if (host === "localhost") return true
  const v4 = ipv4Octets(host)
  if (v4 !== undefined) return v4[0] === 127
  const v6 = ipv6Groups(host)
  if (v6 === undefined) return false
  const zeros = (count: number) => v6.slice(0, count).every((group) => group === 0)
  return (zeros(7) && v6[7] === 1) || (zeros(5) && v6[5] === 0xffff && v6[6]! >> 8 === 127)
}

const LISTEN_EXAMPLE = `"127.0.0.1:7433" or "[::1]:7433"`

/** "HOST:PORT" cut at the colon before the port; an IPv6 host is in brackets, as in a URL. */
const splitListen = (text: string): { readonly host: string; readonly port: string; readonly bracketed: boolean } | undefined => {
  if (text.startsWith("[")) {
    const match = /^\[([^\]]*)\]:([^:]*)$/.exec(text)
    return match === null ? undefined : { host: match[1]!, port: match[2]!, bracketed: true }
  }
  const colon = text.lastIndexOf(":")
  return colon < 0 ? undefined : { host: text.slice(0, colon), port: text.slice(colon + 1), bracketed: false }
}

/**
 * "HOST:PORT" read, or why not. The host is an address, never a name: a name could resolve to
 * anything, and whether the address is loopback decides whether `auth: "none"` is allowed.
 */
const parseListen = (text: string): Either.Either<ListenAddress, string> => {
  const parts = splitListen(text)
  if (parts === undefined) return Either.left(`must be "HOST:PORT", like ${LISTEN_EXAMPLE}, or "off", got ${show(text)}`)
  const { host, port, bracketed } = parts
  if (!bracketed && host.includes(":")) return Either.left(`must put an IPv6 address in brackets, like "[::1]:7433", got ${show(text)}`)
  if (!/^(0|[1-9]\d{0,4})$/.test(port) || Number(port) > 65535) return Either.left(`must end in a port from 0 to 65535, got ${show(text)}`)
  const address = bracketed ? ipv6Groups(host) !== undefined : host === "localhost" || ipv4Octets(host) !== undefined
  if (!address) return Either.left(`must have an IPv4 address, an IPv6 address in brackets or localhost before the port, got ${show(text)}`)
  return Either.right({ host, port: Number(port) })
}

const formatListen = (listen: Listen): string => (listen === "off" ? "off" : hostPort(listen.host, listen.port))

const OCTET = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)"
const PORT = "(6553[0-5]|655[0-2]\\d|65[0-4]\\d\\d|6[0-4]\\d{3}|[1-5]\\d{4}|[1-9]\\d{0,3}|0)"
/** For editors: the shape of the value; orch itself checks an IPv6 address group by group. */
const LISTEN_PATTERN = `^(off|(${OCTET}(\\.${OCTET}){3}|localhost|\\[[0-9A-Fa-f:.]+\\]):${PORT})$`

/** 7433: below 8080, where `orch init` starts counting instance ports, and not llama-server's own 8080. */
export const DEFAULT_LISTEN: ListenAddress = { host: "127.0.0.1", port: 7433 }

const ListenSchema = Schema.transformOrFail(
  Schema.String.annotations({
    message: (issue) => ({ message: `must be "HOST:PORT", like ${LISTEN_EXAMPLE}, or "off", got ${show(issue.actual)}`, override: true }),
    // The default is told here, on the written side: the JSON Schema of a transformation is its written side's.
    jsonSchema: { type: "string", pattern: LISTEN_PATTERN, default: formatListen(DEFAULT_LISTEN) }
  }),
  Schema.Union(Schema.Literal("off"), Schema.Struct({ host: Schema.String, port: Schema.Int })),
  {
    strict: true,
    decode: (text, _, ast) =>
      text === "off"
        ? ParseResult.succeed("off" as const)
        : Either.match(parseListen(text), {
          onLeft: (problem) => ParseResult.fail(new ParseResult.Type(ast, text, problem)),
          onRight: ParseResult.succeed
        }),
    encode: (listen) => ParseResult.succeed(formatListen(listen))
  }
).annotations({
  description: `Where the HTTP API listens: "HOST:PORT", the host an IPv4 address, an IPv6 address in brackets or localhost, like ${LISTEN_EXAMPLE} (port 0: any free port, which the daemon reports); or "off" for no HTTP API`
})

const Auth = Schema.Literal("token", "none").annotations({
  default: "token",
  description: `Who may call /api/: "token" (each request carries the daemon's token) or "none" (anyone who reaches the address; only on a loopback address)`,
  message: (issue) => ({ message: `must be "token" or "none", got ${show(issue.actual)}`, override: true })
})

const withDefault = <A, I>(schema: Schema.Schema<A, I>, value: A) => Schema.optionalWith(schema, { exact: true, default: () => value })

const Http = Schema.Struct({
  listen: withDefault(ListenSchema, DEFAULT_LISTEN),
  auth: withDefault(Auth, "token")
}).annotations({ description: "The daemon's HTTP API (/api/)" })

// Never shown back in a message: a key refused for a space is still most of a secret.
const ApiKey = Schema.String.pipe(Schema.pattern(/^[^\s\x00-\x1f\x7f-\x9f]+$/)).annotations({
  description: "A key a gateway client may send as `Authorization: Bearer KEY`",
  message: () => ({ message: "must be a non-empty string without spaces or control characters (the value is not shown)", override: true })
})

const MAX_QUEUE = 100_000
const MaxQueue = Schema.Int.pipe(Schema.between(1, MAX_QUEUE)).annotations({
  default: 100,
  description: `Requests waiting for a model (a cold start or a swap) past which the gateway answers 429, at most ${MAX_QUEUE}`,
  message: (issue) => ({ message: `must be a whole number from 1 to ${MAX_QUEUE}, got ${show(issue.actual)}`, override: true })
})

const Group = Schema.Struct({
  exclusive: withDefault(
    Schema.Boolean.annotations({
      default: true,
      description: "Run one member at a time: a request for another member stops the running one (after drain_timeout) and starts it",
      message: (issue) => ({ message: `must be true or false, got ${show(issue.actual)}`, override: true })
    }),
    true
  )
}).annotations({
  description: `A group of instances, which each joins with its gateway.group; named like an instance: lowercase letters, digits, "-" and "_", starting with a letter or digit`
})

// Keys checked here rather than by the record's key schema, which would call a bad name an unknown key.
const Groups = Schema.Record({ key: Schema.String, value: Group }).pipe(
  Schema.filter(
    (groups) =>
      Object.keys(groups)
        .filter((name) => !NAME_PATTERN.test(name))
        .map((name) => ({ path: [name], message: `${show(name)} is not a valid group name: use lowercase letters, digits, "-" and "_", starting with a letter or digit, at most 64 characters` })),
    { jsonSchema: { propertyNames: { pattern: NAME_PATTERN.source } } }
  )
)

const Gateway = Schema.Struct({
  api_keys: withDefault(
    Schema.Array(ApiKey).annotations({
      default: [],
      message: () => "must be a list of keys (the value is not shown)",
      description: "Keys of which gateway clients must send one as `Authorization: Bearer KEY`; none: the gateway asks for no key"
    }),
    []
  ),
  max_queue: withDefault(MaxQueue, 100),
  drain_timeout: withDefault(
    Duration({ maxMs: 3_600_000, description: "How long a swap in an exclusive group waits for the running member's requests in flight before stopping it anyway" }),
    60_000
  ),
  groups: withDefault(
    Groups.annotations({ default: {}, description: "Groups of instances by name, which an instance joins with its gateway.group" }),
    {}
  )
}).annotations({ description: "The OpenAI-compatible gateway, which routes a request to the instance its model field names" })

export const Settings = Schema.Struct({
  $schema: Schema.optionalWith(Schema.String.annotations({ description: "JSON Schema for editors; ignored by orch" }), { exact: true }),
  http: withDefault(Http, Schema.decodeSync(Http)({})),
  gateway: withDefault(Gateway, Schema.decodeSync(Gateway)({}))
}).annotations({ title: "llama-orchestrator home settings (orch.json)", description: "Settings of the home as a whole: an object of sections" })
export type Settings = typeof Settings.Type

/** What a home without orch.json runs with. */
export const DEFAULT_SETTINGS: Settings = Schema.decodeSync(Settings)({})

/** Where the HTTP API listens, or "off". */
export const listenAddress = (settings: Settings): Listen => settings.http.listen

const decode = decodeWithFindings(Settings, "see `orch config schema --settings`")

const crossFieldRules = (settings: Settings): ReadonlyArray<Finding> => {
  const listen = settings.http.listen
  return settings.http.auth === "none" && listen !== "off" && !isLoopback(listen.host)
    ? [{
      field: "http.auth",
      problem: `"none" on a non-loopback address (${listen.host}) would let anyone on the network control this machine's servers`,
      hint: `use "token", or listen on 127.0.0.1`
    }]
    : []
}

/** Reads a parsed orch.json: the settings with defaults filled, or every problem found. */
export const decodeSettings = (raw: unknown): Either.Either<Settings, ReadonlyArray<Finding>> =>
  Either.flatMap(decode(raw), (settings) => {
    const findings = crossFieldRules(settings)
    return findings.length === 0 ? Either.right(settings) : Either.left(findings)
  })
