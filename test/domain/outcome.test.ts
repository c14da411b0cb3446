import { describe, expect, it } from "vitest"
import type { Envelope, Event } from "../../src/domain/events.js"
import { fold, newInstance } from "../../src/domain/instances.js"
import { type Outcome, healthySince, stopped } from "../../src/domain/outcome.js"

/** Events for instance "a", one second apart from t = 0; the request came at `requestedAt`, the question at NOW. */
const NOW = 100_000
const stateAfter = (events: ReadonlyArray<Event>) =>
  fold(events.map((event, i): Envelope => ({ seq: i + 1, at: i * 1_000, instance: "a", event }))).instances["a"] ?? newInstance("a")

const config: Event = { _tag: "ConfigApplied", config: { model: { path: "m" }, server: { port: 1 }, healthcheck: { retries: 1, start_period: 0 } }, hash: "h" }
const up: Event = { _tag: "StartRequested", by: "cli" }
const restart: Event = { _tag: "RestartRequested", by: "cli" }
const down: Event = { _tag: "StopRequested", by: "cli" }
const spawned = (pid: number): Event => ({ _tag: "ProcessSpawned", pid, start_time: "1", argv: [], stdout: "o", stderr: "e" })
const ok: Event = { _tag: "HealthProbed", result: "ok", status: 200, latency_ms: 1, path: "/health" }
const timeout: Event = { _tag: "HealthProbed", result: "timeout", status: null, latency_ms: 5_000, path: "/health", reason: "no answer in 5000 ms" }
const exited: Event = { _tag: "ProcessExited", pid: 10, code: null, signal: "SIGSEGV", uptime_ms: 5 }
const stoppedEvent: Event = { _tag: "ProcessStopped", pid: 10, how: "graceful", took_ms: 5 }

describe("healthySince: when a start or a restart is done", () => {
  it.each<[string, ReadonlyArray<Event>, number, boolean, Outcome]>([
    ["not while the start is pending", [config, up], 1_000, false, { done: false }],
    ["not while the new server loads", [config, up, spawned(10)], 1_000, false, { done: false }],
    ["done once it answers healthy", [config, up, spawned(10), ok], 1_000, false, { done: true, ok: true, text: "healthy (pid 10, up 98s)" }],
    ["failed when it turns unhealthy, with the probe's reason", [config, up, spawned(10), ok, timeout], 1_000, false,
      { done: true, ok: false, text: "unhealthy: no answer in 5000 ms (the daemon restarts it; see `orch health a`)" }],
    ["a restart: not done by the server from before the request", [config, up, spawned(10), ok], 3_500, true, { done: false }],
    ["a restart: not while the old server is being stopped", [config, up, spawned(10), ok, restart], 4_000, true, { done: false }],
    ["a restart: done when the new server answers", [config, up, spawned(10), ok, restart, stoppedEvent, spawned(11), ok], 4_000, true,
      { done: true, ok: true, text: "healthy (pid 11, up 94s)" }],
    ["an exit from before the request is not its answer", [config, up, spawned(10), exited], 3_500, false, { done: false }],
    ["failed when the instance failed", [config, up, { _tag: "SpawnFailed", reason: "bad flag", config_error: true }], 1_000, false,
      { done: true, ok: false, text: "not started: bad flag" }],
    ["failed when its start failed since the request, retried later", [config, up, { _tag: "SpawnFailed", reason: "port in use", config_error: false }], 1_000, false,
      { done: true, ok: false, text: "not started: port in use (the daemon tries again under its restart_policy; see `orch events --instance a`)" }],
    ["failed when it exited since the request, saying how", [config, up, spawned(10), exited], 1_000, false,
      { done: true, ok: false, text: "it was killed by SIGSEGV" }],
    ["and that a restart is scheduled", [config, up, spawned(10), exited, { _tag: "RestartScheduled", attempt: 1, delay_ms: 1_000, due_at: 5_000, reason: "exited" }], 1_000, false,
      { done: true, ok: false, text: "it was killed by SIGSEGV; restart 1 is scheduled (see `orch events`)" }]
  ])("%s", (_, events, requestedAt, needsNewProcess, outcome) => {
    expect(healthySince(requestedAt, needsNewProcess)(stateAfter(events), NOW)).toEqual(outcome)
  })
})

describe("stopped: when a stop is done", () => {
  it.each<[string, ReadonlyArray<Event>, Outcome]>([
    ["not while the server is being stopped", [config, up, spawned(10), down], { done: false }],
    ["done once it stopped", [config, up, spawned(10), down, stoppedEvent], { done: true, ok: true, text: "stopped" }],
    ["done at once for an instance without a server", [down], { done: true, ok: true, text: "stopped" }]
  ])("%s", (_, events, outcome) => {
    expect(stopped(stateAfter(events))).toEqual(outcome)
  })
})
