import { Either, Schema } from "effect"
import { InstanceConfig, decodeInstanceConfig } from "./config.js"
import type { RestartPolicy } from "./backoff.js"
import { type Envelope, type Event, type EventOf, type RestartReason, spelledOut } from "./events.js"

/**
 * The `instances` projection (DESIGN.md §4): what every instance wants and does, folded from
 * the journal. Pure: `evolve(state, envelope)`; time comes only from the events' `at`.
 * Derived facts (health, failures in a row, restart count) live here, never in events.
 *
 * Bump FOLD_VERSION whenever the shape or the meaning of this state changes: snapshots made
 * by another version are then ignored and rebuilt instead of trusted.
 */
export const FOLD_VERSION = 7

export type Status = "stopped" | "starting" | "running" | "stopping" | "backoff" | "failed"
export type Health = "unknown" | "loading" | "healthy" | "unhealthy" | "error"

/** A probe as the event says it, and when. */
export interface Probe extends Omit<EventOf<"HealthProbed">, "_tag"> {
  readonly at: number
}

/** A request the gateway served, as the event says it, and when it ended. */
export interface Served extends Omit<EventOf<"RequestServed">, "_tag"> {
  readonly at: number
}

export interface Restart {
  readonly at: number
  readonly attempt: number
  readonly delay_ms: number
  readonly due_at: number
  readonly reason: RestartReason
  /** How the process before it ended, when it exited by itself. */
  readonly exit: { readonly code: number | null; readonly signal: string | null } | null
}

export interface InstanceState {
  readonly name: string
  readonly desired: "up" | "down"
  readonly status: Status
  /** The config as written, and its hash, from the newest ConfigApplied. */
  readonly config: Readonly<Record<string, unknown>> | null
  readonly config_hash: string | null
  /**
   * That config decoded (defaults filled, durations in ms): the one decoding everything acting on
   * the instance uses; null while none was applied or the applied one does not decode. Plain
   * JSON, so a snapshot keeps it as it is.
   */
  readonly decoded_config: InstanceConfig | null
  readonly retries: number
  readonly start_period_ms: number
  readonly pid: number | null
  readonly start_time: string | null
  readonly started_at: number | null
  /** The command line of the newest server spawned (secrets redacted, as recorded): an adopted one ran the same. */
  readonly argv: ReadonlyArray<string> | null
  readonly health: Health
  readonly health_since: number | null
  /** Whether a probe has succeeded since the process started: that ends the start period. */
  readonly seen_ok: boolean
  readonly consecutive_failures: number
  readonly restart_count: number
  readonly last_exit: { readonly at: number; readonly code: number | null; readonly signal: string | null; readonly uptime_ms: number | null } | null
  readonly last_error: string | null
  readonly next_restart: { readonly attempt: number; readonly due_at: number; readonly delay_ms: number; readonly reason: RestartReason } | null
  /** When the newest start failed (SpawnFailed), until a process runs again. */
  readonly start_failed_at: number | null
  readonly probes: ReadonlyArray<Probe>
  readonly restarts: ReadonlyArray<Restart>
  /** The newest requests the gateway served it (RING of them). */
  readonly served: ReadonlyArray<Served>
  /** A start was asked for and no process has come of it yet. */
  readonly start_pending: boolean
  /** A restart was asked for while a process ran: it is stopped first. */
  readonly restart_pending: boolean
  readonly restart_policy: RestartPolicy
  /** Restarts in a row so far: reset by an explicit start and by reset_after of healthy running. */
  readonly attempts: number
}

export interface DaemonState {
  readonly pid: number
  readonly version: string
  readonly started_at: number
  readonly stopped_at: number | null
  readonly stop_reason: string | null
  /** Its HTTP listener: where it listens, or why it could not; null until it says (or when off). */
  readonly api: { readonly host: string; readonly port: number; readonly problem: string | null } | null
}

export interface State {
  /** The newest event folded in. */
  readonly seq: number
  /** Events at or before this seq are summarized by a compaction snapshot, not replayable. */
  readonly base_seq: number
  readonly instances: Readonly<Record<string, InstanceState>>
  readonly daemon: DaemonState | null
}

export const RING = 20

export const initialState: State = { seq: 0, base_seq: 0, instances: {}, daemon: null }

const defaults = Schema.decodeSync(InstanceConfig)({ model: { path: "-" }, server: { port: 1 } })

export const newInstance = (name: string): InstanceState => ({
  name,
  desired: "down",
  status: "stopped",
  config: null,
  config_hash: null,
  decoded_config: null,
  retries: defaults.healthcheck.retries,
  start_period_ms: defaults.healthcheck.start_period,
  pid: null,
  start_time: null,
  started_at: null,
  argv: null,
  health: "unknown",
  health_since: null,
  seen_ok: false,
  consecutive_failures: 0,
  restart_count: 0,
  last_exit: null,
  last_error: null,
  next_restart: null,
  start_failed_at: null,
  probes: [],
  restarts: [],
  served: [],
  start_pending: false,
  restart_pending: false,
  restart_policy: defaults.restart_policy,
  attempts: 0
})

const ring = <A>(items: ReadonlyArray<A>, item: A): ReadonlyArray<A> => {
  const next = items.slice(Math.max(0, items.length - RING + 1))
  next.push(item)
  return next
}

const withHealth = (instance: InstanceState, health: Health, at: number): InstanceState =>
  instance.health === health ? instance : { ...instance, health, health_since: at }

type ProbeChanges = Pick<InstanceState, "probes" | "health" | "health_since" | "consecutive_failures" | "seen_ok" | "status" | "attempts">

// Two literal shapes rather than a conditional spread, which V8 builds slowly: this is the hot path.
const probeOf = spelledOut<"HealthProbed", "at">()((event: EventOf<"HealthProbed">, at: number) =>
  event.reason === undefined
    ? { at, result: event.result, status: event.status, latency_ms: event.latency_ms, path: event.path }
    : { at, result: event.result, status: event.status, latency_ms: event.latency_ms, path: event.path, reason: event.reason }
)

/**
 * What one probe changes, with docker's meanings of start_period and retries. `ownProbes`: the
 * probes array belongs to the caller's fold alone and may grow in place (see `fold`).
 */
const probeChanges = (instance: InstanceState, event: EventOf<"HealthProbed">, at: number, ownProbes = false): ProbeChanges => {
  const probe: Probe = probeOf(event, at)
  let health: Health = instance.health
  let failures = instance.consecutive_failures
  let seen_ok = instance.seen_ok
  let status = instance.status
  let attempts = instance.attempts
  if (event.result === "ok") {
    // Healthy for reset_after: whatever failed before is forgiven.
    if (instance.health === "healthy" && instance.health_since !== null && at - instance.health_since >= instance.restart_policy.reset_after) attempts = 0
    health = "healthy"
    failures = 0
    seen_ok = true
    if (status === "starting") status = "running"
  } else if (!seen_ok && instance.started_at !== null && at - instance.started_at < instance.start_period_ms) {
    // Inside the start period failures do not count; a loading server says so.
    if (event.result === "loading") health = "loading"
  } else {
    failures += 1
    if (failures >= instance.retries) health = "unhealthy"
    else if (event.result === "loading" && health !== "healthy") health = "loading"
  }
  let probes = instance.probes
  if (ownProbes) {
    const growing = probes as Array<Probe>
    growing.push(probe)
    if (growing.length > RING) growing.shift()
  } else probes = ring(probes, probe)
  return {
    probes,
    health,
    health_since: health === instance.health ? instance.health_since : at,
    consecutive_failures: failures,
    seen_ok,
    status,
    attempts
  }
}

/** A new server for the instance, as a spawn brings one: a start, counted as the restart if one was due. */
const started = (instance: InstanceState, pid: number, startTime: string, at: number): InstanceState => ({
  ...withHealth(instance, "unknown", at),
  status: "starting",
  pid,
  start_time: startTime,
  started_at: at,
  seen_ok: false,
  consecutive_failures: 0,
  restart_count: instance.next_restart !== null ? instance.restart_count + 1 : instance.restart_count,
  next_restart: null,
  last_error: null,
  start_failed_at: null,
  start_pending: false
})

const evolveInstance = (instance: InstanceState, event: Event, at: number): InstanceState => {
  switch (event._tag) {
    case "ConfigApplied": {
      const decoded = decodeInstanceConfig(event.config)
      return Either.match(decoded, {
        onLeft: () => ({ ...instance, config: event.config, config_hash: event.hash, decoded_config: null }),
        onRight: (config) => ({
          ...instance,
          config: event.config,
          config_hash: event.hash,
          decoded_config: config,
          retries: config.healthcheck.retries,
          start_period_ms: config.healthcheck.start_period,
          restart_policy: config.restart_policy
        })
      })
    }
    case "StartRequested":
    case "RestartRequested": {
      const restart = event._tag === "RestartRequested" && instance.pid !== null
      const requested = {
        ...instance,
        desired: "up" as const,
        // A running process needs no start, unless it is being stopped or restarted.
        start_pending: instance.pid === null || instance.status === "stopping" || restart,
        restart_pending: restart || instance.restart_pending
      }
      // An explicit start is a fresh chance: a failed instance is retried from attempt 1.
      return instance.status === "failed" ? { ...requested, status: "stopped", next_restart: null, last_error: null, attempts: 0 } : requested
    }
    case "StopRequested":
      return {
        ...instance,
        desired: "down",
        next_restart: null,
        start_pending: false,
        restart_pending: false,
        status: instance.pid !== null ? "stopping" : instance.status === "failed" ? "failed" : "stopped"
      }
    case "ProcessSpawned":
      return { ...started(instance, event.pid, event.start_time, at), argv: event.argv }
    case "ProcessAdopted":
      // A server found for an instance that had none (one spawned by a daemon that died before
      // recording it) is what a pending restart was to bring: it counts as that start.
      if (instance.pid === null) return started(instance, event.pid, event.start_time, at)
      return {
        ...instance,
        start_pending: false,
        start_failed_at: null,
        status: instance.seen_ok ? "running" : "starting",
        pid: event.pid,
        start_time: event.start_time,
        started_at: instance.started_at ?? at
      }
    case "SpawnFailed": {
      // Not a configuration error: "stopped" in error, which the restart policy retries like a crash.
      const status = event.config_error || !instance.restart_policy.enabled ? "failed" : "stopped"
      return { ...withHealth(instance, "error", at), status, pid: null, start_time: null, last_error: event.reason, start_failed_at: at, next_restart: null, start_pending: false }
    }
    case "ProcessExited":
      return {
        ...withHealth(instance, instance.desired === "down" ? "unknown" : "error", at),
        status: instance.next_restart !== null ? "backoff" : "stopped",
        pid: null,
        start_time: null,
        restart_pending: false,
        last_exit: { at, code: event.code, signal: event.signal, uptime_ms: event.uptime_ms }
      }
    case "ProcessStopped":
      // Another server than the instance's own (no one recorded it; a daemon taking over stopped
      // it): the instance's own server runs on.
      if (instance.pid !== null && instance.pid !== event.pid) return instance
      // Stopped to be restarted (it was unhealthy): the backoff wait begins. Stopped because it was
      // given up on: it stays failed.
      return {
        ...withHealth(instance, "unknown", at),
        status: instance.next_restart !== null ? "backoff" : instance.status === "failed" ? "failed" : "stopped",
        pid: null,
        start_time: null,
        restart_pending: false
      }
    case "ProcessLost":
      return { ...withHealth(instance, "error", at), status: "stopped", pid: null, start_time: null, last_error: event.reason }
    case "HealthProbed":
      return { ...instance, ...probeChanges(instance, event, at) }
    case "RestartScheduled": {
      const exit = instance.last_exit !== null && event.reason === "exited" ? { code: instance.last_exit.code, signal: instance.last_exit.signal } : null
      const next_restart = { attempt: event.attempt, due_at: event.due_at, delay_ms: event.delay_ms, reason: event.reason }
      return {
        ...instance,
        status: instance.pid !== null ? instance.status : "backoff",
        attempts: event.attempt,
        next_restart,
        restarts: ring(instance.restarts, { at, ...next_restart, exit })
      }
    }
    case "RestartGaveUp":
      return { ...instance, status: "failed", next_restart: null, last_error: `gave up after ${event.attempts} restarts` }
    case "RequestServed": {
      const { _tag, ...served } = event
      return { ...instance, served: ring(instance.served, { ...served, at }) }
    }
    case "LogRotated":
      return instance
    case "DaemonStarted":
    case "DaemonStopped":
    case "ApiListening":
    case "ApiFailed":
    case "JournalCompacted":
    case "DevicesListed":
      return instance
  }
}

const evolveDaemon = (state: State, envelope: Envelope): State => {
  const { event, at, seq } = envelope
  switch (event._tag) {
    case "DaemonStarted":
      return { ...state, seq, daemon: { pid: event.pid, version: event.version, started_at: at, stopped_at: null, stop_reason: null, api: null } }
    case "DaemonStopped":
      return { ...state, seq, daemon: state.daemon === null ? null : { ...state.daemon, stopped_at: at, stop_reason: event.reason } }
    case "ApiListening":
    case "ApiFailed":
      return { ...state, seq, daemon: state.daemon === null ? null : { ...state.daemon, api: { host: event.host, port: event.port, problem: event._tag === "ApiFailed" ? event.problem : null } } }
    case "JournalCompacted":
      return { ...state, seq, base_seq: event.base_seq }
    default:
      return { ...state, seq }
  }
}

export const evolve = (state: State, envelope: Envelope): State => {
  if (envelope.instance === null) return evolveDaemon(state, envelope)
  const before = state.instances[envelope.instance] ?? newInstance(envelope.instance)
  const after = evolveInstance(before, envelope.event, envelope.at)
  return { ...state, seq: envelope.seq, instances: { ...state.instances, [envelope.instance]: after } }
}

/**
 * `evolve` over many events, with the same result, fast enough for a million-event replay.
 * Copying a whole instance per probe costs a microsecond here, so instances (and probe rings)
 * that this call created itself are changed in place by probes: nothing outside has seen them
 * yet (Clojure's transients), so from outside the fold is as pure as `evolve`.
 */
export const fold = (envelopes: Iterable<Envelope>, from: State = initialState): State => {
  const instances: Record<string, InstanceState> = { ...from.instances }
  const own = new Set<InstanceState>()
  const ownProbes = new Set<ReadonlyArray<Probe>>()
  let state = from
  let seq = from.seq
  for (const envelope of envelopes) {
    seq = envelope.seq
    const name = envelope.instance
    if (name === null) {
      state = evolveDaemon(state, envelope)
      continue
    }
    const instance = instances[name] ?? newInstance(name)
    const event = envelope.event
    let next: InstanceState
    if (event._tag === "HealthProbed") {
      next = own.has(instance) ? instance : { ...instance }
      Object.assign(next, probeChanges(instance, event, envelope.at, ownProbes.has(instance.probes)))
      ownProbes.add(next.probes)
    } else {
      next = evolveInstance(instance, event, envelope.at)
    }
    // evolveInstance may hand back its input unchanged, which is not ours to change later.
    if (next !== instance || own.has(instance)) own.add(next)
    instances[name] = next
  }
  return { ...state, seq, instances }
}
