import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client"
import { type Envelope, ProbeResult } from "../domain/events.js"
import { type Health, type InstanceState, type State, initialState } from "../domain/instances.js"
import { STATUSES } from "../domain/status.js"

/**
 * The daemon's Prometheus exposition (`GET /metrics`). Two sources:
 * - the folded state, read at each scrape by the metrics' collect(): what an instance is now, and
 *   its restarts (the fold's restart_count, so the counter survives a daemon restart and equals
 *   what `orch ps` shows);
 * - the events the daemon folds, counted as they pass (`observe`): spawn failures and probes,
 *   which the state keeps no total of. These start from zero with each daemon, as counters may.
 *
 * Every per-instance series carries `instance`, `backend` (the config's gpu.backend; "" while no
 * config decodes) and `device` (gpu.device_id as a string; "" when the config names none, which is
 * always so for cpu). A series lives as long as its instance with those labels: an instance gone
 * from the state, or moved to another device, takes its old series with it.
 */

export interface DaemonFigures {
  readonly journalSeq: number
  readonly journalBytes: number
  readonly tailLagSeconds: number
}

type Labels = { readonly instance: string; readonly backend: string; readonly device: string }
const PER_INSTANCE = ["instance", "backend", "device"] as const

const labelsOf = (instance: InstanceState): Labels => {
  const gpu = instance.decoded_config?.gpu
  return { instance: instance.name, backend: gpu?.backend ?? "", device: gpu?.device_id === undefined ? "" : String(gpu.device_id) }
}

const sameLabels = (a: Labels, b: Labels) => a.backend === b.backend && a.device === b.device

// Spelled as a record so that a new Health fails to compile here until it is listed.
const HEALTHS = Object.keys({ unknown: 0, loading: 0, healthy: 0, unhealthy: 0, error: 0 } satisfies Record<Health, 0>) as ReadonlyArray<Health>

/** A probe answers in a millisecond when all is well, and is cut off by its timeout (seconds). */
const PROBE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
/** A request: an embedding or a token count in milliseconds, a long generation in minutes. */
const REQUEST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]
/** Loading a model: seconds for a small one, minutes for a large one from a slow disk. */
const COLD_START_BUCKETS = [0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600]
/** A SQLite append in WAL mode: a fraction of a millisecond, unless the disk stalls. */
const APPEND_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]

const LAG_RESOLUTION_MS = 100

export const makeMetrics = () => {
  // Our own registry, never prom-client's global one: two daemons in one test process stay apart.
  const registry = new Registry()
  // prom-client times its event-loop-lag timer every 10 ms by default: a hundred wake-ups a second
  // of a daemon that is otherwise idle between probes (and a laptop kept out of its deep sleep).
  // Every 100 ms, a stall long enough to matter (a probe or a request held up) is still seen.
  collectDefaultMetrics({ register: registry, prefix: "orch_", eventLoopMonitoringPrecision: LAG_RESOLUTION_MS })

  // What the scrape being rendered reads. Set just before registry.metrics(), which runs every
  // collect() before its first await, so overlapping renders cannot read each other's.
  let state: State = initialState
  let figures: DaemonFigures = { journalSeq: 0, journalBytes: 0, tailLagSeconds: 0 }
  const instances = () => Object.values(state.instances)

  /** A gauge per instance, rebuilt at each scrape so that instances gone from the state are gone here too. */
  const perInstance = (name: string, help: string, set: (gauge: Gauge<string>, instance: InstanceState, labels: Labels) => void, extra: ReadonlyArray<string> = []) =>
    new Gauge({
      name,
      help,
      labelNames: [...PER_INSTANCE, ...extra],
      registers: [registry],
      collect() {
        this.reset()
        for (const instance of instances()) set(this, instance, labelsOf(instance))
      }
    })

  perInstance("orch_instance_up", "1 while a server process runs for the instance (it has a pid)", (gauge, instance, labels) =>
    gauge.set(labels, instance.pid === null ? 0 : 1))
  perInstance("orch_instance_desired_up", "1 when the instance is wanted up", (gauge, instance, labels) =>
    gauge.set(labels, instance.desired === "up" ? 1 : 0))
  perInstance("orch_instance_status", "The instance's status: 1 for the current one, 0 for the others", (gauge, instance, labels) => {
    for (const status of STATUSES) gauge.set({ ...labels, status }, instance.status === status ? 1 : 0)
  }, ["status"])
  perInstance("orch_instance_health", "The instance's health: 1 for the current one, 0 for the others", (gauge, instance, labels) => {
    for (const health of HEALTHS) gauge.set({ ...labels, health }, instance.health === health ? 1 : 0)
  }, ["health"])
  perInstance("orch_instance_next_restart_timestamp_seconds", "When the pending restart is due (Unix time); only while one is", (gauge, instance, labels) => {
    if (instance.next_restart !== null) gauge.set(labels, instance.next_restart.due_at / 1000)
  })

  new Counter({
    name: "orch_instance_restarts_total",
    help: "Restarts of the instance, as the journal's fold counts them (`orch ps` shows the same number)",
    labelNames: PER_INSTANCE,
    registers: [registry],
    collect() {
      this.reset()
      for (const instance of instances()) this.inc(labelsOf(instance), instance.restart_count)
    }
  })

  const spawnFailures = new Counter({
    name: "orch_instance_spawn_failures_total",
    help: "Starts that failed (SpawnFailed) since this daemon started",
    labelNames: PER_INSTANCE,
    registers: [registry]
  })
  const probes = new Counter({
    name: "orch_instance_probes_total",
    help: "Health probes by result since this daemon started",
    labelNames: [...PER_INSTANCE, "result"],
    registers: [registry]
  })
  const probeDuration = new Histogram({
    name: "orch_instance_probe_duration_seconds",
    help: "How long health probes took, whatever their result",
    labelNames: PER_INSTANCE,
    buckets: PROBE_BUCKETS,
    registers: [registry]
  })

  const requests = new Counter({
    name: "orch_gateway_requests_total",
    help: "Requests the gateway passed to the instance, by the HTTP status of its answer (0: none came, the client left first)",
    labelNames: [...PER_INSTANCE, "status"],
    registers: [registry]
  })
  const requestDuration = new Histogram({
    name: "orch_gateway_request_duration_seconds",
    help: "How long the gateway's requests took, from arrival to the answer's end (waits for a start or a swap included)",
    labelNames: PER_INSTANCE,
    buckets: REQUEST_BUCKETS,
    registers: [registry]
  })
  const firstToken = new Histogram({
    name: "orch_gateway_time_to_first_token_seconds",
    help: "For streamed answers: from the request's arrival at the server to its first generated token",
    labelNames: PER_INSTANCE,
    buckets: REQUEST_BUCKETS,
    registers: [registry]
  })
  const promptTokens = new Counter({ name: "orch_gateway_prompt_tokens_total", help: "Prompt tokens the instance's answers reported", labelNames: PER_INSTANCE, registers: [registry] })
  const completionTokens = new Counter({ name: "orch_gateway_completion_tokens_total", help: "Generated tokens the instance's answers reported", labelNames: PER_INSTANCE, registers: [registry] })
  const coldStarts = new Histogram({
    name: "orch_gateway_cold_start_seconds",
    help: "From a request for a stopped instance to its server ready (start on demand or swap)",
    labelNames: PER_INSTANCE,
    buckets: COLD_START_BUCKETS,
    registers: [registry]
  })
  const swaps = new Counter({
    name: "orch_gateway_swaps_total",
    help: "Starts of the instance that took its exclusive group's device from another member",
    labelNames: PER_INSTANCE,
    registers: [registry]
  })
  let queued: () => number = () => 0
  new Gauge({ name: "orch_gateway_queue_depth", help: "Requests waiting for a model to start or be swapped in", registers: [registry], collect() { this.set(queued()) } })
  /** The statuses each instance's request counter has a series for, to remove them with it. */
  const statuses = new Map<string, Set<string>>()

  /**
   * The labels the counted series of each instance carry. Zeroed when first seen, so that a
   * counter exists (at 0) before its first increase and rate() sees that increase.
   */
  const counted = new Map<string, Labels>()
  const forget = (name: string, labels: Labels) => {
    counted.delete(name)
    spawnFailures.remove(labels)
    for (const result of ProbeResult.literals) probes.remove({ ...labels, result })
    probeDuration.remove(labels)
    for (const status of statuses.get(name) ?? []) requests.remove({ ...labels, status })
    statuses.delete(name)
    for (const metric of [requestDuration, firstToken, promptTokens, completionTokens, coldStarts, swaps]) metric.remove(labels)
  }
  const seriesOf = (instance: InstanceState): Labels => {
    const labels = labelsOf(instance)
    const before = counted.get(instance.name)
    if (before !== undefined && sameLabels(before, labels)) return before
    if (before !== undefined) forget(instance.name, before)
    counted.set(instance.name, labels)
    spawnFailures.inc(labels, 0)
    for (const result of ProbeResult.literals) probes.inc({ ...labels, result }, 0)
    probeDuration.zero(labels)
    for (const metric of [requestDuration, firstToken, coldStarts]) metric.zero(labels)
    for (const metric of [promptTokens, completionTokens, swaps]) metric.inc(labels, 0)
    return labels
  }

  new Gauge({ name: "orch_journal_seq", help: "The journal's newest seq", registers: [registry], collect() { this.set(figures.journalSeq) } })
  new Gauge({ name: "orch_journal_size_bytes", help: "The journal's size on disk, WAL included", registers: [registry], collect() { this.set(figures.journalBytes) } })
  new Gauge({
    name: "orch_journal_tail_lag_seconds",
    help: "How far the daemon's reading of the journal is behind its newest event",
    registers: [registry],
    collect() { this.set(figures.tailLagSeconds) }
  })
  const appendDuration = new Histogram({
    name: "orch_journal_append_duration_seconds",
    help: "How long appending a batch of events to the journal took",
    buckets: APPEND_BUCKETS,
    registers: [registry]
  })

  // A chunk seen twice (a tail re-read after a reconnect) must not count twice.
  let lastSeq = 0

  return {
    /**
     * Counts what a chunk of events says; `after` is the state with the chunk folded in, which
     * gives each instance's labels.
     */
    observe(envelopes: Iterable<Envelope>, after: State): void {
      for (const { seq, instance: name, event } of envelopes) {
        if (seq <= lastSeq) continue
        lastSeq = seq
        const instance = name === null ? undefined : after.instances[name]
        if (instance === undefined) continue
        if (event._tag === "SpawnFailed") spawnFailures.inc(seriesOf(instance))
        else if (event._tag === "HealthProbed") {
          const labels = seriesOf(instance)
          probes.inc({ ...labels, result: event.result })
          probeDuration.observe(labels, event.latency_ms / 1000)
        } else if (event._tag === "RequestServed") {
          const labels = seriesOf(instance)
          const status = String(event.status)
          const seen = statuses.get(instance.name) ?? new Set()
          statuses.set(instance.name, seen.add(status))
          requests.inc({ ...labels, status })
          requestDuration.observe(labels, event.duration_ms / 1000)
          if (event.ttft_ms !== null) firstToken.observe(labels, event.ttft_ms / 1000)
          if (event.prompt_tokens !== null) promptTokens.inc(labels, event.prompt_tokens)
          if (event.completion_tokens !== null) completionTokens.inc(labels, event.completion_tokens)
        } else if (event._tag === "StartRequested" && event.reason === "swap") {
          swaps.inc(seriesOf(instance))
        }
      }
    },
    observeColdStart(instance: InstanceState, seconds: number): void {
      coldStarts.observe(seriesOf(instance), seconds)
    },
    /** Where the queue depth is read from at each scrape: the gateway's. */
    gatewayQueue(depth: () => number): void {
      queued = depth
    },
    observeAppend(seconds: number): void {
      appendDuration.observe(seconds)
    },
    /** The exposition text. Needs no clock: times are exposed as timestamps, the tail's lag is the daemon's figure. */
    render(current: State, daemon: DaemonFigures): Promise<string> {
      for (const [name, labels] of counted) if (current.instances[name] === undefined) forget(name, labels)
      for (const instance of Object.values(current.instances)) seriesOf(instance)
      state = current
      figures = daemon
      return registry.metrics()
    },
    contentType: registry.contentType
  }
}

export type Metrics = ReturnType<typeof makeMetrics>
