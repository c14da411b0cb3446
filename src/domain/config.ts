import { Schema } from "effect"
import { Duration } from "./duration.js"
import { NAME_PATTERN } from "./name.js"
import { Size } from "./size.js"

/**
 * One llama-server instance, as written in `<home>/instances/<name>/config.json`.
 * Decoding fills every default, turns durations into milliseconds and sizes into bytes.
 * A field without a default is left out of the argv, so llama-server's own default applies.
 */

/** A value as a message shows it: short enough for a table cell, whatever was written. */
const show = (value: unknown): string => {
  // JSON.parse reads 1e999 as Infinity, which JSON.stringify would show as null.
  const text = value === undefined ? "nothing" : typeof value === "number" && !Number.isFinite(value) ? "a number too large to hold" : JSON.stringify(value)
  return text.length > 80 ? `${text.slice(0, 80)}…` : text
}

/** A leaf whose failures read as "must be …, got …" instead of Effect's internal wording. */
const expect = <A, I>(schema: Schema.Schema<A, I>, expectation: string, description: string) =>
  schema.annotations({
    description,
    message: (issue) => ({ message: `must be ${expectation}, got ${show(issue.actual)}`, override: true })
  })

/**
 * A number from `min` to `max`. The upper bound is what the field can sensibly mean: a value
 * far past it parses, but then the server cannot start or orch never acts (a billion log files).
 */
const bounded = (schema: Schema.Schema<number>, kind: string, min: number, max: number, description: string) =>
  schema.pipe(Schema.between(min, max)).annotations({
    description,
    message: (issue) => ({
      message: typeof issue.actual === "number" && issue.actual > max
        ? `must be at most ${max}, got ${show(issue.actual)}`
        : `must be ${kind} ≥ ${min}, got ${show(issue.actual)}`,
      override: true
    })
  })

const wholeNumber = (min: number, max: number, description: string) => bounded(Schema.Int, "a whole number", min, max, description)

// Every timer stays far below Node's limit of 2^31 − 1 ms (24.8 days), past which it fires at once.
const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

const optional = <S extends Schema.Schema.All>(schema: S) => Schema.optionalWith(schema, { exact: true })

// The `default` annotation feeds the JSON Schema, which describes the written (encoded) form: "10s", not 10000.
const withDefault = <A, I, R>(schema: Schema.Schema<A, I, R>, value: A, shown: I) =>
  Schema.optionalWith(schema.annotations({ default: shown as unknown as A }), {
    exact: true,
    default: () => value
  })

/** An optional section: leaving it out is the same as writing `{}`. */
const section = <A, I extends object>(schema: Schema.Schema<A, I>) =>
  withDefault(schema, Schema.decodeSync(schema)({} as I), {} as I)

const NonEmpty = (description: string) => expect(Schema.String.pipe(Schema.minLength(1)), "a non-empty string", description)

export const Model = Schema.Struct({
  path: NonEmpty("Path to the GGUF model file; relative paths start at the home folder"),
  context_size: optional(wholeNumber(0, 16_777_216, "Context size in tokens (--ctx-size; 0 = the model's own), at most 16777216; default: llama-server's")),
  batch_size: optional(wholeNumber(1, 1_048_576, "Logical batch size (--batch-size), at most 1048576; default: llama-server's")),
  threads: optional(wholeNumber(1, 1024, "CPU threads (--threads), at most 1024; default: llama-server's"))
})

export const Host = expect(
  Schema.String.pipe(Schema.pattern(/^[^\s\x00-\x1f\x7f-\x9f]+$/)),
  "an address without spaces or control characters",
  "Address to listen on (--host)"
)
export const Port = expect(
  Schema.Int.pipe(Schema.between(1, 65535)),
  "a whole number from 1 to 65535",
  "TCP port to listen on (--port); required, and unique per host"
)

export const Server = Schema.Struct({
  host: withDefault(Host, "127.0.0.1", "127.0.0.1"),
  port: Port,
  timeout: optional(Duration({ minMs: 1_000, maxMs: DAY, description: "Server read/write timeout (--timeout); default: llama-server's" })),
  parallel: optional(wholeNumber(1, 1024, "Number of slots (--parallel), at most 1024; default: llama-server's"))
})

export const Backend = expect(Schema.Literal("cpu", "vulkan", "cuda"), `one of "cpu", "vulkan", "cuda"`, "Compute backend")
export type Backend = typeof Backend.Type

const MAX_LAYERS = 10_000
const Layers = Schema.Union(Schema.Int.pipe(Schema.between(0, MAX_LAYERS)), Schema.Literal("auto", "all")).annotations({
  description: `Layers to offload to the GPU (-ngl), at most ${MAX_LAYERS}; default: llama-server's`,
  message: (issue) => ({
    message: typeof issue.actual === "number" && issue.actual > MAX_LAYERS
      ? `must be at most ${MAX_LAYERS} (999 already means every layer), got ${show(issue.actual)}`
      : `must be a whole number ≥ 0, "auto" or "all", got ${show(issue.actual)}`,
    override: true
  })
})

export const Gpu = Schema.Struct({
  backend: withDefault(Backend, "cpu", "cpu"),
  device_id: optional(
    wholeNumber(0, 63, "GPU index, at most 63: the number in the device's name in `orch devices` (Vulkan1 is 1), passed as --device Vulkan1 (vulkan) or --device CUDA1 (cuda)")
  ),
  select_by: withDefault(
    expect(
      Schema.Literal("device_flag", "environment"),
      `"device_flag" or "environment"`,
      "How device_id reaches llama-server: device_flag (--device NAME, what current builds obey) or environment (GGML_VK_VISIBLE_DEVICES or CUDA_VISIBLE_DEVICES, only for builds too old for --device)"
    ),
    "device_flag",
    "device_flag"
  ),
  layers: optional(Layers)
})

/** A space or a control character (CR, LF, C1 too) would break the request line: every probe would fail. */
const URL_PATH = /^\/[^\s\x00-\x1f\x7f-\x9f]*$/
const UrlPath = Schema.String.pipe(Schema.pattern(URL_PATH)).annotations({
  description: "Health endpoint: a URL path without spaces or control characters",
  message: (issue) => ({
    message: typeof issue.actual === "string" && issue.actual.startsWith("/")
      ? `must not hold spaces or control characters (no probe could be sent), got ${show(issue.actual)}`
      : `must be a URL path starting with "/", got ${show(issue.actual)}`,
    override: true
  })
})

export const Healthcheck = Schema.Struct({
  path: withDefault(UrlPath, "/health", "/health"),
  interval: withDefault(Duration({ minMs: 100, maxMs: HOUR, description: "Time between probes" }), 10_000, "10s"),
  timeout: withDefault(Duration({ minMs: 100, maxMs: 10 * MINUTE, description: "How long one probe may take" }), 5_000, "5s"),
  retries: withDefault(wholeNumber(1, 1000, "Consecutive failed probes that make the instance unhealthy, at most 1000"), 3, 3),
  start_period: withDefault(
    // Hours-long loads of huge models from slow disks exist; a week does not.
    Duration({ maxMs: 7 * DAY, description: "Time to load the model, during which failed probes do not count; the first success ends it" }),
    300_000,
    "5m"
  ),
  deep: optional(
    expect(
      Schema.Literal("slots", "completion"),
      `"slots" or "completion"`,
      "After /health answers ok, also GET /slots or POST /completion (n_predict 1): catches a wedged server that still answers /health"
    )
  )
})

export const RestartPolicy = Schema.Struct({
  enabled: withDefault(expect(Schema.Boolean, "true or false", "Restart after a crash or when unhealthy"), true, true),
  max_retries: withDefault(wholeNumber(0, 10_000, "Restarts in a row before giving up (status failed), at most 10000"), 10, 10),
  backoff_multiplier: withDefault(
    bounded(Schema.Number, "a number", 1, 100, "Each delay is the previous one times this, at most 100"),
    2,
    2
  ),
  initial_delay: withDefault(Duration({ maxMs: DAY, description: "Delay before the first restart" }), 1_000, "1s"),
  max_delay: withDefault(Duration({ maxMs: DAY, description: "Longest delay between restarts" }), 300_000, "5m"),
  reset_after: withDefault(Duration({ maxMs: 7 * DAY, description: "Healthy running time after which the attempt count resets" }), 600_000, "10m")
})

export const Binary = expect(
  Schema.Union(Schema.String.pipe(Schema.minLength(1)), Schema.NonEmptyArray(Schema.String.pipe(Schema.minLength(1)))),
  `a command name, a path, or a non-empty list like ["llama", "serve"]`,
  "The llama-server program: a name on PATH, a path, or an argv prefix"
)

export const Logs = Schema.Struct({
  max_size: withDefault(Size({ maxBytes: 1024 ** 4, description: "Rotate a log file when it passes this size" }), 50 * 1024 ** 2, "50MB"),
  keep: withDefault(wholeNumber(1, 100, "Rotated log files to keep, at most 100"), 5, 5)
})

/** No spaces or control characters: where a name is shown (a table, a log line) they would hide or garble it. */
const Alias = expect(
  Schema.String.pipe(Schema.pattern(/^[^\s\x00-\x1f\x7f-\x9f]{1,128}$/)),
  "1 to 128 characters without spaces or control characters",
  "Another name for this instance in the model field of an OpenAI request: 1 to 128 characters, no spaces or control characters"
)

const Aliases = Schema.Array(Alias).pipe(
  Schema.filter(
    (aliases) => {
      const repeated = aliases.find((alias, index) => aliases.indexOf(alias) !== index)
      return repeated === undefined || `lists ${show(repeated)} twice`
    },
    { jsonSchema: { uniqueItems: true } }
  )
).annotations({
  description: "More names a client may put in an OpenAI request's model field to reach this instance through the gateway, besides its own name; each once, and none another instance's name or alias"
})

export const Gateway = Schema.Struct({
  aliases: withDefault(Aliases, [], []),
  on_demand: withDefault(expect(Schema.Boolean, "true or false", "Start the instance when a gateway request for it comes"), false, false),
  ttl: optional(Duration({ minMs: 1_000, maxMs: 7 * DAY, description: "Stop the instance after this long without a gateway request; default: never" })),
  // Named like an instance, as orch.json's gateway.groups requires of its keys.
  group: optional(
    expect(
      Schema.String.pipe(Schema.pattern(NAME_PATTERN)),
      `a group name: lowercase letters, digits, "-" and "_", starting with a letter or digit, at most 64 characters`,
      "The group of orch.json's gateway.groups this instance belongs to: of an exclusive group, the gateway runs one member at a time"
    )
  )
}).annotations({ description: "How the daemon's OpenAI-compatible gateway reaches this instance" })

export const InstanceConfig = Schema.Struct({
  $schema: optional(Schema.String.annotations({ description: "JSON Schema for editors; ignored by orch" })),
  model: Model,
  server: Server,
  gpu: section(Gpu),
  healthcheck: section(Healthcheck),
  restart_policy: section(RestartPolicy),
  binary: withDefault(Binary, "llama-server", "llama-server"),
  args: withDefault(
    expect(Schema.Array(Schema.String), "a list of strings", "Extra llama-server flags, appended verbatim"),
    [],
    []
  ),
  env: withDefault(
    expect(Schema.Record({ key: Schema.String, value: Schema.String }), "an object of string values", "Extra environment variables"),
    {},
    {}
  ),
  stop_timeout: withDefault(Duration({ maxMs: HOUR, description: "Grace period after SIGTERM before SIGKILL" }), 10_000, "10s"),
  logs: section(Logs),
  gateway: section(Gateway)
}).annotations({ title: "llama-orchestrator instance config" })

export type InstanceConfig = typeof InstanceConfig.Type
export type InstanceConfigInput = typeof InstanceConfig.Encoded

/**
 * The one decoder of an instance config that was checked when it was applied: the fold's, and
 * ps's and describe's for a config on disk. Checking one as written, strictly and with findings,
 * is lint.ts's `decodeConfig`.
 */
export const decodeInstanceConfig = Schema.decodeUnknownEither(InstanceConfig)
