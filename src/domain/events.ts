import { Schema } from "effect"

/**
 * Every fact the journal records (DESIGN.md §3). A row is `seq, at, instance, type, v, data`:
 * `type` is the tag below, `data` the rest of the event, `v` the version of its shape.
 * Never change what a type means: add a version and an upcaster (upcast.ts).
 */

const Requester = Schema.Literal("cli", "api", "autostart", "gateway")
export type Requester = typeof Requester.Type

const Pid = Schema.Int.pipe(Schema.positive())
const Millis = Schema.Number.pipe(Schema.nonNegative())

// ---- lifecycle ---------------------------------------------------------------------------

/** `up` used a new or changed config: the config as written (encoded), and its hash. */
export const ConfigApplied = Schema.TaggedStruct("ConfigApplied", {
  config: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  hash: Schema.String
})
/** Why the gateway asked (src/domain/gateway.ts): a request for a model not running, or an exclusive group's swap. */
export const StartRequested = Schema.TaggedStruct("StartRequested", {
  by: Requester,
  reason: Schema.optionalWith(Schema.Literal("on_demand", "swap"), { exact: true })
})
/** Why the gateway asked: its ttl passed with no request, or another member of its exclusive group needs the device. */
export const StopRequested = Schema.TaggedStruct("StopRequested", {
  by: Requester,
  reason: Schema.optionalWith(Schema.Literal("idle", "swap"), { exact: true })
})
export const RestartRequested = Schema.TaggedStruct("RestartRequested", { by: Requester })

export const ProcessSpawned = Schema.TaggedStruct("ProcessSpawned", {
  pid: Pid,
  /** The kernel's start time of the process: with the pid, its identity (no pid-reuse mistakes). */
  start_time: Schema.String,
  argv: Schema.Array(Schema.String),
  stdout: Schema.String,
  stderr: Schema.String
})
/**
 * A server did not start. `config_error`: its own output (or our check before the spawn) shows a
 * mistake that no retry can mend, so the restart policy leaves it failed; otherwise it is retried.
 */
export const SpawnFailed = Schema.TaggedStruct("SpawnFailed", { reason: Schema.String, config_error: Schema.Boolean })
export const ProcessExited = Schema.TaggedStruct("ProcessExited", {
  pid: Pid,
  code: Schema.NullOr(Schema.Int),
  signal: Schema.NullOr(Schema.String),
  uptime_ms: Schema.NullOr(Millis)
})
export const ProcessStopped = Schema.TaggedStruct("ProcessStopped", {
  pid: Pid,
  how: Schema.Literal("graceful", "killed"),
  took_ms: Millis,
  /** How it ended, when it was the daemon's own child (an adopted process's exit is not ours to see). */
  code: Schema.optionalWith(Schema.NullOr(Schema.Int), { exact: true }),
  signal: Schema.optionalWith(Schema.NullOr(Schema.String), { exact: true })
})
export const ProcessAdopted = Schema.TaggedStruct("ProcessAdopted", { pid: Pid, start_time: Schema.String })
export const ProcessLost = Schema.TaggedStruct("ProcessLost", { pid: Pid, reason: Schema.String })

// ---- health and restarts -----------------------------------------------------------------

export const ProbeResult = Schema.Literal("ok", "loading", "error", "unreachable", "timeout")
export type ProbeResult = typeof ProbeResult.Type

export const HealthProbed = Schema.TaggedStruct("HealthProbed", {
  result: ProbeResult,
  status: Schema.NullOr(Schema.Int),
  latency_ms: Millis,
  path: Schema.String,
  reason: Schema.optionalWith(Schema.String, { exact: true })
})

export const RestartScheduled = Schema.TaggedStruct("RestartScheduled", {
  attempt: Schema.Int.pipe(Schema.positive()),
  delay_ms: Millis,
  due_at: Millis,
  /** failed_start: the process before it never started (SpawnFailed that was no configuration error). */
  reason: Schema.Literal("exited", "unhealthy", "failed_start")
})
export type RestartReason = typeof RestartScheduled.fields.reason.Type
// ---- the gateway ---------------------------------------------------------------------------

/**
 * A request the gateway passed to an instance, as it ended: never its text. `status` 0: no answer
 * came (the client left first, or the server ended before answering). `queued_ms`: the wait for a
 * start or a swap before it was sent. Tokens and timings are the server's own `usage`/`timings`,
 * read as the answer passed; null when it said none.
 */
export const RequestServed = Schema.TaggedStruct("RequestServed", {
  endpoint: Schema.String,
  status: Schema.Int.pipe(Schema.between(0, 999)),
  streamed: Schema.Boolean,
  duration_ms: Millis,
  queued_ms: Millis,
  ttft_ms: Schema.NullOr(Millis),
  prompt_tokens: Schema.NullOr(Schema.Int.pipe(Schema.nonNegative())),
  completion_tokens: Schema.NullOr(Schema.Int.pipe(Schema.nonNegative())),
  tokens_per_second: Schema.NullOr(Schema.Number.pipe(Schema.nonNegative())),
  /** What went wrong, when something did: the client left, the server ended mid-answer. */
  error: Schema.optionalWith(Schema.String, { exact: true })
})

export const RestartGaveUp = Schema.TaggedStruct("RestartGaveUp", { attempts: Schema.Int.pipe(Schema.nonNegative()) })

// ---- the daemon and the journal ----------------------------------------------------------

export const DaemonStarted = Schema.TaggedStruct("DaemonStarted", { pid: Pid, version: Schema.String })
export const DaemonStopped = Schema.TaggedStruct("DaemonStopped", { reason: Schema.String })
/** The daemon's HTTP listener (API, metrics): where it listens; `port` is the one bound (orch.json may ask for 0). */
export const ApiListening = Schema.TaggedStruct("ApiListening", { host: Schema.String, port: Schema.Int.pipe(Schema.between(1, 65535)) })
/** The listener could not start (its port taken, most often); the daemon supervises on without it. */
export const ApiFailed = Schema.TaggedStruct("ApiFailed", { host: Schema.String, port: Schema.Int.pipe(Schema.between(0, 65535)), problem: Schema.String })
export const LogRotated = Schema.TaggedStruct("LogRotated", {
  stream: Schema.Literal("stdout", "stderr"),
  size: Schema.Int.pipe(Schema.nonNegative())
})
export const Device = Schema.Struct({
  name: Schema.String,
  description: Schema.String,
  total_mib: Schema.Int,
  free_mib: Schema.Int
})
export type Device = typeof Device.Type
/** What `<binary> --list-devices` printed: the devices, and any line not understood, kept as it was. */
export const DevicesListed = Schema.TaggedStruct("DevicesListed", {
  binary: Schema.Array(Schema.String),
  devices: Schema.Array(Device),
  unparsed: Schema.Array(Schema.String)
})
/**
 * Old probes and request records were deleted; `base_seq` is the snapshot that replays start from
 * since. `deleted` counts both kinds, `deleted_requests` the RequestServed among them.
 */
export const JournalCompacted = Schema.TaggedStruct("JournalCompacted", {
  base_seq: Schema.Int.pipe(Schema.nonNegative()),
  deleted: Schema.Int.pipe(Schema.nonNegative()),
  deleted_requests: Schema.Int.pipe(Schema.nonNegative()),
  older_than: Millis
})

export const Event = Schema.Union(
  ConfigApplied,
  StartRequested,
  StopRequested,
  RestartRequested,
  ProcessSpawned,
  SpawnFailed,
  ProcessExited,
  ProcessStopped,
  ProcessAdopted,
  ProcessLost,
  HealthProbed,
  RestartScheduled,
  RestartGaveUp,
  RequestServed,
  DaemonStarted,
  DaemonStopped,
  ApiListening,
  ApiFailed,
  LogRotated,
  JournalCompacted,
  DevicesListed
)
export type Event = typeof Event.Type
export type EventType = Event["_tag"]
export type EventOf<T extends EventType> = Extract<Event, { readonly _tag: T }>

/** The current version of every type's `data`; a row with a higher `v` is from a newer orch. */
export const EVENT_VERSIONS: { readonly [T in EventType]: number } = {
  ConfigApplied: 1,
  StartRequested: 2,
  StopRequested: 1,
  RestartRequested: 1,
  ProcessSpawned: 1,
  SpawnFailed: 2,
  ProcessExited: 1,
  ProcessStopped: 1,
  ProcessAdopted: 1,
  ProcessLost: 1,
  HealthProbed: 1,
  RestartScheduled: 1,
  RestartGaveUp: 1,
  RequestServed: 1,
  DaemonStarted: 1,
  DaemonStopped: 1,
  ApiListening: 1,
  ApiFailed: 1,
  LogRotated: 1,
  JournalCompacted: 2,
  DevicesListed: 1
}

export const EVENT_TYPES = Object.keys(EVENT_VERSIONS) as ReadonlyArray<EventType>

export const isEventType = (type: string): type is EventType => Object.hasOwn(EVENT_VERSIONS, type)

/** An event as the journal holds it: its place in the total order, when, and for which instance. */
export interface Envelope<E extends Event = Event> {
  readonly seq: number
  readonly at: number
  /** null for the daemon's own events. */
  readonly instance: string | null
  readonly event: E
}

/**
 * What a writer hands the journal: the journal gives it a seq, and the time of its commit unless
 * `at` says when the fact happened (a probe recorded a moment after it was made).
 */
export interface NewEvent {
  readonly instance: string | null
  readonly event: Event
  readonly at?: number
}

/** The keys of every member of a union: `keyof` of a union gives only the keys they share. */
type KeysOfEach<T> = T extends unknown ? keyof T : never

/** The fields of an event type's `data`: the event without its tag. */
export type DataField<T extends EventType> = Exclude<KeysOfEach<EventOf<T>>, "_tag">

/**
 * For code that spells out an event's fields by hand, where going through Schema costs too much
 * (probes are nearly all that is written and folded): hands back the function it is given, and
 * fails to compile unless what it builds (all its shapes together) names every field of type `T`'s
 * data, plus `Extra`, and nothing else. A field added to the schema is then a compile error there,
 * naming the field, instead of a value silently dropped.
 */
export const spelledOut =
  <T extends EventType, Extra extends PropertyKey = never>() =>
  <P extends ReadonlyArray<unknown>, W extends object>(
    build: ((...args: P) => W) &
      ([DataField<T> | Extra] extends [KeysOfEach<W>]
        ? [KeysOfEach<W>] extends [DataField<T> | Extra] ? unknown : { readonly notAFieldOf: Exclude<KeysOfEach<W>, DataField<T> | Extra> }
        : { readonly missing: Exclude<DataField<T> | Extra, KeysOfEach<W>> })
  ): ((...args: P) => W) =>
    build
