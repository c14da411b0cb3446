import parse, { type Family, type Sample } from "parse-prometheus-text-format"
import { describe, expect, it } from "vitest"
import type { Envelope, Event } from "../../src/domain/events.js"
import { type State, fold } from "../../src/domain/instances.js"
import { type DaemonFigures, makeMetrics } from "../../src/runtime/metrics.js"

/** Events for the named instances, one second apart from t = 1,000,000 ms, numbered from 1. */
const journal = (...entries: ReadonlyArray<readonly [string, Event]>): Array<Envelope> =>
  entries.map(([instance, event], index) => ({ seq: index + 1, at: 1_000_000 + index * 1_000, instance, event }))

const configured = (gpu?: Record<string, unknown>): Event => ({
  _tag: "ConfigApplied",
  config: { model: { path: "m.gguf" }, server: { port: 8080 }, ...(gpu === undefined ? {} : { gpu }) },
  hash: "h"
})
const spawned = (pid: number): Event => ({ _tag: "ProcessSpawned", pid, start_time: "1", argv: ["llama-server"], stdout: "o", stderr: "e" })
const probe = (result: "ok" | "loading" | "error" | "unreachable" | "timeout", latency_ms: number): Event =>
  ({ _tag: "HealthProbed", result, status: result === "ok" ? 200 : null, latency_ms, path: "/health" })

/**
 * a: on Vulkan1, restarted once after a crash, now running and healthy, probed four times.
 * b: on the cpu, failed to start, waiting to be restarted. c: no config, started and stopped.
 */
const events = journal(
  ["a", configured({ backend: "vulkan", device_id: 1 })],
  ["b", configured()],
  ["a", { _tag: "StartRequested", by: "cli" }],
  ["a", spawned(4242)],
  ["a", probe("ok", 3)],
  ["a", probe("ok", 20)],
  ["a", { _tag: "ProcessExited", pid: 4242, code: 139, signal: null, uptime_ms: 2_000 }],
  ["a", { _tag: "RestartScheduled", attempt: 1, delay_ms: 1_000, due_at: 1_008_000, reason: "exited" }],
  ["a", spawned(4343)],
  ["a", probe("timeout", 5_000)],
  ["a", probe("ok", 2)],
  ["b", { _tag: "StartRequested", by: "api" }],
  ["b", { _tag: "SpawnFailed", reason: "port 8080 is in use", config_error: false }],
  ["b", { _tag: "RestartScheduled", attempt: 1, delay_ms: 1_000, due_at: 2_000_500, reason: "failed_start" }],
  ["c", { _tag: "StartRequested", by: "cli" }],
  ["c", { _tag: "StopRequested", by: "cli" }]
)
const state = fold(events)
const figures: DaemonFigures = { journalSeq: 42, journalBytes: 8_192, tailLagSeconds: 0.25 }

const a = { instance: "a", backend: "vulkan", device: "1" }
const b = { instance: "b", backend: "cpu", device: "" }
const c = { instance: "c", backend: "", device: "" }

const family = (families: ReadonlyArray<Family>, name: string): Family => {
  const found = families.find((each) => each.name === name)
  if (found === undefined) throw new Error(`no ${name} in the exposition`)
  return found
}
/** The samples of a family whose labels include these (of every family by that name: see `histogram`). */
const samples = (families: ReadonlyArray<Family>, name: string, labels: Readonly<Record<string, string>> = {}): ReadonlyArray<Sample> =>
  families.filter((each) => each.name === name).flatMap((each) => each.metrics).filter((sample) => Object.entries(labels).every(([key, value]) => sample.labels?.[key] === value))
const value = (families: ReadonlyArray<Family>, name: string, labels: Readonly<Record<string, string>> = {}): number => {
  const found = samples(families, name, labels)
  if (found.length !== 1) throw new Error(`${found.length} samples of ${name} with ${JSON.stringify(labels)}`)
  return Number(found[0]!.value)
}

/**
 * A histogram's series. The parser merges every labelled series of a histogram into one, without
 * labels (it reads only unlabelled ones right): read without the histogram's TYPE line, its
 * samples come out as plain `_bucket`, `_sum` and `_count` families (one per series), labels and all.
 */
const histogram = (text: string, name: string, labels: Readonly<Record<string, string>> = {}) => {
  const families = parse(text.replace(new RegExp(`^# TYPE ${name} histogram$`, "m"), ""))
  return {
    buckets: Object.fromEntries(samples(families, `${name}_bucket`, labels).map((sample) => [sample.labels!["le"], Number(sample.value)])),
    sum: value(families, `${name}_sum`, labels),
    count: value(families, `${name}_count`, labels)
  }
}

const renderedText = (observed: ReadonlyArray<Envelope>, current: State = state) => {
  const metrics = makeMetrics()
  metrics.observe(observed, fold(observed))
  return metrics.render(current, figures)
}
const rendered = async (observed: ReadonlyArray<Envelope>, current: State = state) => parse(await renderedText(observed, current))

describe("the Prometheus exposition", () => {
  it("shows each instance's status and health as state sets, with its labels", async () => {
    const families = await rendered(events)
    expect(samples(families, "orch_instance_status", a).map((sample) => [sample.labels!["status"], sample.value])).toEqual([
      ["stopped", "0"], ["starting", "0"], ["running", "1"], ["stopping", "0"], ["backoff", "0"], ["failed", "0"]
    ])
    expect(value(families, "orch_instance_status", { ...b, status: "backoff" })).toBe(1)
    expect(samples(families, "orch_instance_status", b).filter((sample) => sample.value === "1")).toHaveLength(1)
    expect(value(families, "orch_instance_health", { ...a, health: "healthy" })).toBe(1)
    expect(value(families, "orch_instance_health", { ...b, health: "error" })).toBe(1)
    expect(samples(families, "orch_instance_health", c).map((sample) => sample.labels!["health"])).toEqual(["unknown", "loading", "healthy", "unhealthy", "error"])
    expect([value(families, "orch_instance_up", a), value(families, "orch_instance_up", b), value(families, "orch_instance_up", c)]).toEqual([1, 0, 0])
    expect([value(families, "orch_instance_desired_up", a), value(families, "orch_instance_desired_up", b), value(families, "orch_instance_desired_up", c)])
      .toEqual([1, 1, 0])
  })

  it("counts restarts as the fold does, even with no event observed (a daemon just restarted)", async () => {
    expect(state.instances["a"]!.restart_count).toBe(1)
    for (const families of [await rendered(events), await rendered([])]) {
      for (const [labels, name] of [[a, "a"], [b, "b"], [c, "c"]] as const) {
        expect(value(families, "orch_instance_restarts_total", labels)).toBe(state.instances[name]!.restart_count)
      }
    }
  })

  it("counts probes by result, their durations and spawn failures from the events observed", async () => {
    const text = await renderedText(events)
    const families = parse(text)
    expect(samples(families, "orch_instance_probes_total", a).map((sample) => [sample.labels!["result"], sample.value])).toEqual(
      [["ok", "3"], ["loading", "0"], ["error", "0"], ["unreachable", "0"], ["timeout", "1"]]
    )
    // Counters exist at 0 before their first increase, so that rate() sees it.
    expect(value(families, "orch_instance_probes_total", { ...b, result: "ok" })).toBe(0)
    expect(value(families, "orch_instance_spawn_failures_total", b)).toBe(1)
    expect(value(families, "orch_instance_spawn_failures_total", a)).toBe(0)

    expect(family(families, "orch_instance_probe_duration_seconds").type).toBe("HISTOGRAM")
    const latency = histogram(text, "orch_instance_probe_duration_seconds", a)
    expect(latency.count).toBe(4)
    expect(latency.sum).toBeCloseTo(5.025)
    expect(latency.buckets).toMatchObject({ "0.001": 0, "0.0025": 1, "0.005": 2, "0.025": 3, "1": 3, "5": 4, "10": 4, "+Inf": 4 })
    expect(histogram(text, "orch_instance_probe_duration_seconds", b).count).toBe(0)
  })

  it("ignores events it has seen already", async () => {
    const metrics = makeMetrics()
    metrics.observe(events.slice(0, 12), fold(events.slice(0, 12)))
    metrics.observe(events, state)
    metrics.observe(events.slice(4, 6), state)
    const text = await metrics.render(state, figures)
    const families = parse(text)
    expect(value(families, "orch_instance_probes_total", { ...a, result: "ok" })).toBe(3)
    expect(value(families, "orch_instance_spawn_failures_total", b)).toBe(1)
    expect(histogram(text, "orch_instance_probe_duration_seconds", a).count).toBe(4)
  })

  it("shows when a pending restart is due, only for instances with one", async () => {
    const families = await rendered(events)
    expect(samples(families, "orch_instance_next_restart_timestamp_seconds")).toEqual([{ labels: b, value: "2000.5" }])
  })

  it("drops an instance gone from the state, and an instance's old labels when it moves", async () => {
    const metrics = makeMetrics()
    metrics.observe(events, state)
    expect(JSON.stringify(parse(await metrics.render(state, figures)))).toContain('"instance":"c"')

    const { c: _gone, ...rest } = state.instances
    const moved = journal(...events.map((envelope): readonly [string, Event] => [envelope.instance!, envelope.event]), ["a", configured({ backend: "cuda", device_id: 0 })])
    const families = parse(await metrics.render(fold(moved.slice(-1), { ...state, instances: rest }), figures))
    for (const each of families) {
      for (const sample of each.metrics) {
        expect(sample.labels?.["instance"], each.name).not.toBe("c")
        if (sample.labels?.["instance"] === "a") expect([sample.labels["backend"], sample.labels["device"]], each.name).toEqual(["cuda", "0"])
      }
    }
    // The counts gathered under the old labels went with them; the restarts come from the fold.
    expect(value(families, "orch_instance_probes_total", { instance: "a", result: "ok" })).toBe(0)
    expect(value(families, "orch_instance_restarts_total", { instance: "a" })).toBe(1)
  })

  it("shows the daemon's figures and its journal's append latency", async () => {
    const metrics = makeMetrics()
    metrics.observeAppend(0.0003)
    metrics.observeAppend(0.002)
    const text = await metrics.render(state, figures)
    const families = parse(text)
    expect(value(families, "orch_journal_seq")).toBe(42)
    expect(value(families, "orch_journal_size_bytes")).toBe(8_192)
    expect(value(families, "orch_journal_tail_lag_seconds")).toBe(0.25)
    expect(histogram(text, "orch_journal_append_duration_seconds")).toMatchObject({ count: 2, buckets: { "0.00025": 0, "0.0005": 1, "0.0025": 2 } })
    expect(value(families, "orch_process_resident_memory_bytes")).toBeGreaterThan(0)
    expect(metrics.contentType).toMatch(/^text\/plain; version=0\.0\.4/)
  })

  it("names every metric for Prometheus", async () => {
    const families = await rendered(events)
    expect(families.length).toBeGreaterThan(15)
    for (const { name, type } of families) {
      // prom-client's own process metrics include digits (nodejs_eventloop_lag_p99_seconds).
      expect(name).toMatch(name.startsWith("orch_instance_") || name.startsWith("orch_journal_") ? /^orch_[a-z_]+$/ : /^orch_[a-z0-9_]+$/)
      if (type === "COUNTER") expect(name).toMatch(/_total$/)
    }
  })
})
