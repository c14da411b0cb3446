import { Schema } from "effect"
import { Backend } from "../domain/config.js"
import { Device, DevicesListed, Event, HealthProbed, ProcessExited, RequestServed, RestartScheduled } from "../domain/events.js"
import type { Health, Status } from "../domain/instances.js"

/**
 * What the CLI's `--json` prints, one Schema per shape: the HTTP API answers with the same values
 * and its OpenAPI document is generated from these, so the code's types are derived from them
 * (a field added on one side only fails to compile, or fails test/cli/json-shapes.test.ts).
 * The commands import only their types, so no Schema here is built on a command's start.
 */

// Invariant in its type, `Schema.Schema<A>` is satisfied only by a schema of exactly A: the
// literals below cannot drift from the fold's types, in either direction.
const InstanceStatus = Schema.Literal("stopped", "starting", "running", "stopping", "backoff", "failed") satisfies Schema.Schema<Status>
const InstanceHealth = Schema.Literal("unknown", "loading", "healthy", "unhealthy", "error") satisfies Schema.Schema<Health>
const Desired = Schema.Literal("up", "down")

const Millis = Schema.Number.pipe(Schema.nonNegative())
const Pid = Schema.Int.pipe(Schema.positive())
const Count = Schema.Int.pipe(Schema.nonNegative())

const status = Schema.Union(InstanceStatus, Schema.Literal("new")).annotations({
  description: "stopped, starting, running, stopping, backoff (waiting to restart) or failed (gave up); new for a config never started"
})
const health = Schema.NullOr(InstanceHealth).annotations({ description: "What the probes say: unknown, loading, healthy, unhealthy or error; null for a config never started" })
const desired = Schema.NullOr(Desired).annotations({ description: "What was asked for last (up or down); null for a config never started" })
const pid = Schema.NullOr(Pid).annotations({ description: "The server's pid, while one runs" })
const startedAt = Schema.NullOr(Millis).annotations({ description: "When the running server started (ms since the epoch); null while none runs" })
const uptime = Schema.NullOr(Millis).annotations({ description: "How long the running server has run, in ms; null while none runs" })

const NextRestart = Schema.Struct({
  attempt: RestartScheduled.fields.attempt.annotations({ description: "Which restart in a row it will be, from 1" }),
  due_at: Millis.annotations({ description: "When it is due (ms since the epoch)" }),
  delay_ms: Millis.annotations({ description: "The backoff delay it waits, in ms" }),
  reason: RestartScheduled.fields.reason.annotations({ description: "Why: the process exited, was unhealthy, or failed to start" })
})
const nextRestart = Schema.NullOr(NextRestart).annotations({ description: "The restart scheduled, while one waits (status backoff)" })

const exitCode = ProcessExited.fields.code.annotations({ description: "The exit code, if it exited by itself" })
const exitSignal = ProcessExited.fields.signal.annotations({ description: "The signal that ended it (SIGKILL), if one did" })

const probeAt = Millis.annotations({ description: "When the probe was made (ms since the epoch)" })
const probeFields = {
  result: HealthProbed.fields.result.annotations({ description: "ok, loading (503 while the model loads), error, unreachable or timeout" }),
  status: HealthProbed.fields.status.annotations({ description: "The HTTP status it got, if any" }),
  latency_ms: HealthProbed.fields.latency_ms.annotations({ description: "How long it took, in ms" }),
  path: HealthProbed.fields.path.annotations({ description: "The URL path probed (/health, /slots, /completion)" }),
  reason: Schema.optionalWith(Schema.String.annotations({ description: "Why it failed, where it did" }), { exact: true })
}
/** A probe as the fold keeps it: the HealthProbed event's fields, and when it was made. */
const Probe = Schema.Struct({ at: probeAt, ...probeFields })

/** A request the gateway served, as the fold keeps it: the RequestServed event's fields, and when it ended. */
const Request = Schema.Struct({
  at: Millis.annotations({ description: "When it ended (ms since the epoch)" }),
  endpoint: RequestServed.fields.endpoint.annotations({ description: "The path asked for (/v1/chat/completions, /v1/embeddings...)" }),
  status: RequestServed.fields.status.annotations({ description: "The HTTP status answered; 0 where none was sent (the client left first)" }),
  streamed: RequestServed.fields.streamed.annotations({ description: "Whether the answer was streamed (server-sent events)" }),
  duration_ms: RequestServed.fields.duration_ms.annotations({ description: "From its arrival to the answer's end, in ms, its wait included" }),
  queued_ms: RequestServed.fields.queued_ms.annotations({ description: "How long it waited for its server (a start on demand, a swap, the queue), in ms" }),
  ttft_ms: RequestServed.fields.ttft_ms.annotations({ description: "From when the server got it to the first token, in ms; null where the answer was not streamed" }),
  prompt_tokens: RequestServed.fields.prompt_tokens.annotations({ description: "The prompt's tokens as the server counted them; null where its answer did not say" }),
  completion_tokens: RequestServed.fields.completion_tokens.annotations({ description: "The tokens generated as the server counted them; null where its answer did not say" }),
  tokens_per_second: RequestServed.fields.tokens_per_second.annotations({ description: "How fast it generated, as the server measured it; null where its answer did not say" }),
  error: Schema.optionalWith(Schema.String.annotations({ description: "What went wrong, where something did: the client left, the server ended mid-answer, no server took it" }), { exact: true })
})

// ---- orch ps --------------------------------------------------------------------------------

/** One row of `orch ps`, as `--json` prints it: these names are an interface, keep them stable. */
export const PsRow = Schema.Struct({
  name: Schema.String.annotations({ description: "The instance: its folder under instances/" }),
  pid,
  host: Schema.NullOr(Schema.String).annotations({ description: "The address it listens on; null where its config does not decode" }),
  port: Schema.NullOr(Schema.Int).annotations({ description: "The port it listens on; null where its config does not decode" }),
  backend: Schema.NullOr(Backend).annotations({ description: "cpu, vulkan or cuda; null where its config does not decode" }),
  device: Schema.NullOr(Schema.Int).annotations({ description: "The GPU index (gpu.device_id), where one is set" }),
  model: Schema.NullOr(Schema.String).annotations({ description: "The model file's name, without its folder; null where its config does not decode" }),
  status,
  health,
  desired,
  started_at: startedAt,
  uptime_ms: uptime,
  restarts: Count.annotations({ description: "Restarts in all since the journal began" }),
  actual_pids: Schema.NullOr(Schema.Array(Pid)).annotations({
    description:
      "Where the processes contradict the journal, the pids of this instance's servers that run (none where its recorded one is gone); " +
      "null where they agree, or where they were not looked at because a daemon that folds this journal runs (it ends if the journal is replaced under it)"
  })
}).annotations({ identifier: "PsRow", description: "One instance as `orch ps --json` lists it (an array of these, sorted by name)" })
export type PsRow = typeof PsRow.Type

export const PsJson = Schema.Array(PsRow).annotations({ identifier: "PsJson", description: "Every instance of the home: `orch ps --json`" })

// ---- orch describe --------------------------------------------------------------------------

const LogFile = Schema.Struct({
  path: Schema.String.annotations({ description: "The log file" }),
  size: Schema.NullOr(Count).annotations({ description: "Its size in bytes; null where it does not exist yet" })
})

/** Everything known of one instance, secrets hidden: `orch describe NAME --json`. */
export const Described = Schema.Struct({
  name: Schema.String.annotations({ description: "The instance: its folder under instances/" }),
  status,
  desired,
  health,
  health_since: Schema.NullOr(Millis).annotations({ description: "Since when its health has been what it is (ms since the epoch)" }),
  pid,
  started_at: startedAt,
  uptime_ms: uptime,
  restarts: Count.annotations({ description: "Restarts in all since the journal began" }),
  restarts_in_a_row: Count.annotations({ description: "Restarts in a row so far (reset by a start, and by healthy running for restart_policy.reset_after)" }),
  max_retries: Schema.NullOr(Count).annotations({ description: "Restarts in a row it gives up after (restart_policy.max_retries); null for a config never started" }),
  next_restart: nextRestart,
  last_exit: Schema.NullOr(Schema.Struct({
    at: Millis.annotations({ description: "When it ended (ms since the epoch)" }),
    code: exitCode,
    signal: exitSignal,
    uptime_ms: Schema.NullOr(Millis).annotations({ description: "How long it had run, in ms, where known" })
  })).annotations({ description: "How the last server process ended" }),
  last_error: Schema.NullOr(Schema.String).annotations({ description: "Why the last start failed or the process was lost" }),
  config: Schema.NullOr(Schema.Record({ key: Schema.String, value: Schema.Unknown })).annotations({
    description: "The config as written, secrets of args and env hidden: the one in effect, else the one on disk; null where there is none"
  }),
  config_hash: Schema.NullOr(Schema.String).annotations({ description: "The hash of the config in effect; null while it is only on disk" }),
  argv: Schema.NullOr(Schema.Array(Schema.String)).annotations({ description: "The server's command line as spawned, secrets hidden; null before its first start" }),
  gpu: Schema.NullOr(Schema.Struct({
    backend: Backend.annotations({ description: "cpu, vulkan or cuda" }),
    selected_by: Schema.NullOr(Schema.String).annotations({ description: "How the device is chosen (--device Vulkan1, CUDA_VISIBLE_DEVICES=1); null for none" })
  })).annotations({ description: "The GPU it runs on; null where its config does not decode" }),
  env_keys: Schema.Array(Schema.String).annotations({ description: "The names of the environment variables it gets (values are not shown)" }),
  probes: Schema.Array(Probe).annotations({ description: "The newest probes (at most 20), oldest first" }),
  restart_history: Schema.Array(Schema.Struct({
    at: Millis.annotations({ description: "When it was scheduled (ms since the epoch)" }),
    attempt: RestartScheduled.fields.attempt.annotations({ description: "Which restart in a row, from 1" }),
    due_at: Millis.annotations({ description: "When it was due (ms since the epoch)" }),
    delay_ms: Millis.annotations({ description: "The backoff delay, in ms" }),
    reason: RestartScheduled.fields.reason.annotations({ description: "Why: the process exited, was unhealthy, or failed to start" }),
    exit: Schema.NullOr(Schema.Struct({ code: exitCode, signal: exitSignal })).annotations({ description: "How the process before it ended, when it exited by itself" })
  })).annotations({ description: "The newest restarts (at most 20), oldest first" }),
  requests: Schema.Array(Request).annotations({ description: "The newest requests the gateway served it (at most 20), oldest first" }),
  logs: Schema.Struct({ stdout: LogFile, stderr: LogFile }).annotations({ description: "Its log files (llama-server logs to stderr)" })
}).annotations({ identifier: "Described", description: "Everything known of one instance, secrets hidden: `orch describe NAME --json`" })
export type Described = typeof Described.Type

// ---- orch events ----------------------------------------------------------------------------

/** The line of one event type: its tag as `type`, the rest of the event as `data`. */
const lineOf = <Tag extends string, Fields extends Schema.Struct.Fields>(event: Schema.TaggedStruct<Tag, Fields>) =>
  Schema.Struct({
    seq: Schema.Int.pipe(Schema.positive()).annotations({ description: "Its place in the journal's total order" }),
    at: Schema.Number.annotations({ description: "When it happened (ms since the epoch)" }),
    time: Schema.NullOr(Schema.String).annotations({ description: "`at` as an ISO 8601 time; null where `at` is no time" }),
    instance: Schema.NullOr(Schema.String).annotations({ description: "The instance it is about; null for the daemon's own events" }),
    type: event.fields._tag.annotations({ description: "The event type" }),
    data: event.omit("_tag").annotations({ description: "The event's fields (see the journal's event types), secrets hidden" })
  })

type LinesOf<Members> = { readonly [K in keyof Members]: Members[K] extends Schema.TaggedStruct<infer Tag extends string, infer Fields> ? ReturnType<typeof lineOf<Tag, Fields>> : never }

/** One line of `orch events --json`, one variant per event type (`type` tells which). */
export const EventJson = Schema.Union(
  // `map` takes the members as one union, which no single instance of `lineOf` accepts, and
  // forgets which is where: the mapped type gives each line its member's types back.
  ...(Event.members.map((member) => lineOf(member as unknown as Schema.TaggedStruct<string, Schema.Struct.Fields>)) as unknown as LinesOf<typeof Event.members>)
).annotations({ identifier: "EventJson", description: "One journal event as `orch events --json` prints it, one per line" })
export type EventJson = typeof EventJson.Type

// ---- orch config validate / lint ------------------------------------------------------------

export const FindingJson = Schema.Struct({
  file: Schema.String.annotations({ description: "The file it is in" }),
  instance: Schema.NullOr(Schema.String).annotations({ description: "The instance whose config it is; null for another file of the home (autostart.json, orch.json)" }),
  field: Schema.String.annotations({ description: "The JSON path inside the file (server.port, args[2]); empty for the file as a whole" }),
  problem: Schema.String.annotations({ description: "What is wrong, on one line" }),
  hint: Schema.String.annotations({ description: "How to fix it" })
}).annotations({ identifier: "FindingJson", description: "One problem with a config, in the words an operator needs to fix it" })
export type FindingJson = typeof FindingJson.Type

export const ValidateJson = Schema.Struct({
  file: Schema.String.annotations({ description: "The config file checked, as an absolute path" }),
  valid: Schema.Boolean.annotations({ description: "Whether it has no problem" }),
  findings: Schema.Array(FindingJson).annotations({ description: "Its problems" })
}).annotations({ identifier: "ValidateJson", description: "`orch config validate PATH --json`: one config file checked" })
export type ValidateJson = typeof ValidateJson.Type

export const LintJson = Schema.Struct({
  home: Schema.String.annotations({ description: "The home checked" }),
  valid: Schema.Boolean.annotations({ description: "Whether it has no problem" }),
  instances: Schema.Array(Schema.String).annotations({ description: "The instances found" }),
  findings: Schema.Array(FindingJson).annotations({ description: "Every problem, of every instance and of the home's other files (autostart.json, orch.json)" })
}).annotations({ identifier: "LintJson", description: "`orch config lint --json`: every instance of the home checked, and that no two share a port" })
export type LintJson = typeof LintJson.Type

// ---- orch devices ---------------------------------------------------------------------------

export const DevicesJson = Schema.Struct({
  at: Millis.annotations({ description: "When the binary was asked (ms since the epoch)" }),
  binary: DevicesListed.fields.binary.annotations({ description: "The llama-server asked, as an argv prefix" }),
  devices: Schema.Array(Device.annotations({ description: "A device: its name (Vulkan0), description, total and free MiB" })).annotations({ description: "The devices it listed" }),
  unparsed: DevicesListed.fields.unparsed.annotations({ description: "Lines of its output not understood, kept as they were" })
}).annotations({ identifier: "DevicesJson", description: "`orch devices --json`: GPU devices as llama-server sees them (--list-devices)" })
export type DevicesJson = typeof DevicesJson.Type

// ---- orch doctor ----------------------------------------------------------------------------

/** One line of the diagnosis: what was looked at, how it stands, and the fix where it does not hold. */
export const DoctorCheck = Schema.Struct({
  check: Schema.String.annotations({ description: "What was looked at (home, journal, chat: port, daemon...)" }),
  status: Schema.Literal("ok", "warn", "fail").annotations({ description: "ok, warn, or fail (then doctor exits 1)" }),
  detail: Schema.String.annotations({ description: "What was found" }),
  fix: Schema.String.annotations({ description: "What to do about it; empty where it is ok" })
}).annotations({ identifier: "DoctorCheck", description: "One line of the diagnosis: what was looked at, how it stands, and the fix where it does not hold" })
export type DoctorCheck = typeof DoctorCheck.Type

export const DoctorJson = Schema.Array(DoctorCheck).annotations({ identifier: "DoctorJson", description: "`orch doctor --json`: every check, in order" })

// ---- orch health ----------------------------------------------------------------------------

const healthFields = {
  name: Schema.String.annotations({ description: "The instance" }),
  health: InstanceHealth.annotations({ description: "What the probes say: unknown, loading, healthy, unhealthy or error" }),
  since: Schema.NullOr(Millis).annotations({ description: "Since when its health has been what it is (ms since the epoch)" }),
  status: InstanceStatus.annotations({ description: "stopped, starting, running, stopping, backoff or failed" }),
  consecutive_failures: Count.annotations({ description: "Failed probes in a row (counted once the start period is over)" }),
  attempts: Count.annotations({ description: "Restarts in a row so far" }),
  next_restart: nextRestart
}

export const HealthInstance = Schema.Struct({
  ...healthFields,
  probes: Schema.Array(Probe).annotations({ description: "The newest probes the fold keeps (at most 20), oldest first" })
}).annotations({ identifier: "HealthInstance", description: "One instance's health, as `orch health --all --json` lists it" })
export type HealthInstance = typeof HealthInstance.Type

export const HealthAllJson = Schema.Array(HealthInstance).annotations({ identifier: "HealthAllJson", description: "`orch health --all --json`: every instance with a history" })
export type HealthAllJson = typeof HealthAllJson.Type

/**
 * `orch health NAME --json`. Its probes are read from the journal (as many as --last asks), and
 * carry the event's `_tag` beside the fields of `orch health --all --json`'s. It also has the two
 * limits the text shows the counts against, so the text can be drawn from it (src/cli/view/health.ts).
 */
export const HealthJson = Schema.Struct({
  ...healthFields,
  retries: Count.annotations({ description: "Failed probes in a row that make it unhealthy (healthcheck.retries)" }),
  max_retries: Count.annotations({ description: "Restarts in a row it gives up after (restart_policy.max_retries)" }),
  probes: Schema.Array(Schema.Struct({ at: probeAt, _tag: HealthProbed.fields._tag.annotations({ description: "The event type: HealthProbed" }), ...probeFields })).annotations({ description: "The newest probes (--last, default 10), oldest first" })
}).annotations({ identifier: "HealthJson", description: "`orch health NAME --json`: one instance's health and its newest probes" })
export type HealthJson = typeof HealthJson.Type
