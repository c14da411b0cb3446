import { Schema } from "effect"
import { Duration } from "./duration.js"
import { Size } from "./size.js"

/**
 * One llama-server instance, as written in `<home>/instances/<name>/config.json`.
 * Decoding fills every default, turns durations into milliseconds and sizes into bytes.
 * A field without a default is left out of the argv, so llama-server's own default applies.
 */

const show = (value: unknown): string => (value === undefined ? "nothing" : JSON.stringify(value))

/** A leaf whose failures read as "must be …, got …" instead of Effect's internal wording. */
const expect = <A, I>(schema: Schema.Schema<A, I>, expectation: string, description: string) =>
  schema.annotations({
    description,
    message: (issue) => ({ message: `must be ${expectation}, got ${show(issue.actual)}`, override: true })
  })

const intAtLeast = (min: number, description: string) =>
  expect(Schema.Int.pipe(Schema.greaterThanOrEqualTo(min)), `a whole number ≥ ${min}`, description)

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
  context_size: optional(intAtLeast(0, "Context size in tokens (--ctx-size; 0 = the model's own); default: llama-server's")),
  batch_size: optional(intAtLeast(1, "Logical batch size (--batch-size); default: llama-server's")),
  threads: optional(intAtLeast(1, "CPU threads (--threads); default: llama-server's"))
})

export const Host = NonEmpty("Address to listen on (--host)")
export const Port = expect(
  Schema.Int.pipe(Schema.between(1, 65535)),
  "a whole number from 1 to 65535",
  "TCP port to listen on (--port); required, and unique per host"
)

export const Server = Schema.Struct({
  host: withDefault(Host, "127.0.0.1", "127.0.0.1"),
  port: Port,
  timeout: optional(Duration({ minMs: 1_000, description: "Server read/write timeout (--timeout); default: llama-server's" })),
  parallel: optional(intAtLeast(1, "Number of slots (--parallel); default: llama-server's"))
})

export const Backend = expect(Schema.Literal("cpu", "vulkan", "cuda"), `one of "cpu", "vulkan", "cuda"`, "Compute backend")
export type Backend = typeof Backend.Type

const Layers = expect(
  Schema.Union(Schema.Int.pipe(Schema.greaterThanOrEqualTo(0)), Schema.Literal("auto", "all")),
  `a whole number ≥ 0, "auto" or "all"`,
  "Layers to offload to the GPU (-ngl); default: llama-server's"
)

export const Gpu = Schema.Struct({
  backend: withDefault(Backend, "cpu", "cpu"),
  device_id: optional(
    intAtLeast(0, "GPU index, the number in the device's name in `orch devices` (Vulkan1 is 1): passed as --device Vulkan1 (vulkan) or --device CUDA1 (cuda)")
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

export const Healthcheck = Schema.Struct({
  path: withDefault(
    expect(Schema.String.pipe(Schema.startsWith("/")), `a URL path starting with "/"`, "Health endpoint"),
    "/health",
    "/health"
  ),
  interval: withDefault(Duration({ minMs: 100, description: "Time between probes" }), 10_000, "10s"),
  timeout: withDefault(Duration({ minMs: 100, description: "How long one probe may take" }), 5_000, "5s"),
  retries: withDefault(intAtLeast(1, "Consecutive failed probes that make the instance unhealthy"), 3, 3),
  start_period: withDefault(
    Duration({ description: "Time to load the model, during which failed probes do not count; the first success ends it" }),
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
  max_retries: withDefault(intAtLeast(0, "Restarts in a row before giving up (status failed)"), 10, 10),
  backoff_multiplier: withDefault(
    expect(Schema.Number.pipe(Schema.greaterThanOrEqualTo(1)), "a number ≥ 1", "Each delay is the previous one times this"),
    2,
    2
  ),
  initial_delay: withDefault(Duration({ description: "Delay before the first restart" }), 1_000, "1s"),
  max_delay: withDefault(Duration({ description: "Longest delay between restarts" }), 300_000, "5m"),
  reset_after: withDefault(Duration({ description: "Healthy running time after which the attempt count resets" }), 600_000, "10m")
})

export const Binary = expect(
  Schema.Union(Schema.String.pipe(Schema.minLength(1)), Schema.NonEmptyArray(Schema.String.pipe(Schema.minLength(1)))),
  `a command name, a path, or a non-empty list like ["llama", "serve"]`,
  "The llama-server program: a name on PATH, a path, or an argv prefix"
)

export const Logs = Schema.Struct({
  max_size: withDefault(Size("Rotate a log file when it passes this size"), 50 * 1024 ** 2, "50MB"),
  keep: withDefault(intAtLeast(1, "Rotated log files to keep"), 5, 5)
})

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
  stop_timeout: withDefault(Duration({ description: "Grace period after SIGTERM before SIGKILL" }), 10_000, "10s"),
  logs: section(Logs)
}).annotations({ title: "llama-orchestrator instance config" })

export type InstanceConfig = typeof InstanceConfig.Type
export type InstanceConfigInput = typeof InstanceConfig.Encoded
