import { describe, expect, it } from "vitest"
import type { Envelope, Event, RestartReason } from "../../src/domain/events.js"
import { fold, newInstance } from "../../src/domain/instances.js"
import { type Action, claim, decideRestart, reconcile } from "../../src/domain/supervise.js"

const spawned: Event = { _tag: "ProcessSpawned", pid: 10, start_time: "1", argv: [], stdout: "o", stderr: "e" }
const exited: Event = { _tag: "ProcessExited", pid: 10, code: 1, signal: null, uptime_ms: 5 }
const stopped: Event = { _tag: "ProcessStopped", pid: 10, how: "graceful", took_ms: 5 }
const up: Event = { _tag: "StartRequested", by: "cli" }
const down: Event = { _tag: "StopRequested", by: "cli" }
const restart: Event = { _tag: "RestartRequested", by: "cli" }

const stateAfter = (events: ReadonlyArray<Event>) => {
  const envelopes: Array<Envelope> = events.map((event, i) => ({ seq: i + 1, at: i * 1_000, instance: "a", event }))
  return fold(envelopes).instances["a"] ?? newInstance("a")
}
const NOW = 1_000_000
const decide = (events: ReadonlyArray<Event>, now = NOW): Action => reconcile(stateAfter(events), now)

const ok: Event = { _tag: "HealthProbed", result: "ok", status: 200, latency_ms: 1, path: "/health" }
const bad: Event = { _tag: "HealthProbed", result: "error", status: 500, latency_ms: 1, path: "/health" }
const config = (restart_policy: Record<string, unknown>): Event => ({
  _tag: "ConfigApplied",
  config: { model: { path: "m" }, server: { port: 1 }, healthcheck: { retries: 2, start_period: 0 }, restart_policy },
  hash: "h"
})
const configError: Event = { _tag: "SpawnFailed", reason: "it exited with code 1 before it was ready: error: invalid argument: --bogus", config_error: true }
const portTaken: Event = { _tag: "SpawnFailed", reason: "port 127.0.0.1:8080 is in use by another process", config_error: false }
const scheduled = (attempt: number, due_at: number, reason: RestartReason = "exited"): Event => ({
  _tag: "RestartScheduled", attempt, delay_ms: 1_000, due_at, reason
})

describe("reconcile: given these events, the daemon does", () => {
  it.each<[string, ReadonlyArray<Event>, Action]>([
    ["nothing for an instance never asked for", [], "none"],
    ["spawn after up", [up], "spawn"],
    ["nothing once spawned", [up, spawned], "none"],
    ["stop after down", [up, spawned, down], "stop"],
    ["nothing once stopped", [up, spawned, down, stopped], "none"],
    ["schedule a restart after an exit on its own", [up, spawned, exited], "schedule"],
    ["nothing after an exit when restarts are off", [config({ enabled: false }), up, spawned, exited], "none"],
    ["nothing while the restart is not due", [up, spawned, exited, scheduled(1, NOW + 1)], "none"],
    ["spawn once the restart is due", [up, spawned, exited, scheduled(1, NOW)], "spawn"],
    ["schedule a restart for an unhealthy server", [config({}), up, spawned, ok, bad, bad], "schedule"],
    ["then stop it", [config({}), up, spawned, ok, bad, bad, scheduled(1, NOW, "unhealthy")], "stop"],
    ["then spawn it when due", [config({}), up, spawned, ok, bad, bad, scheduled(1, NOW, "unhealthy"), stopped], "spawn"],
    ["nothing after giving up", [up, spawned, exited, { _tag: "RestartGaveUp", attempts: 10 }], "none"],
    ["stop a server given up on while it still runs", [config({ max_retries: 0 }), up, spawned, ok, bad, bad, { _tag: "RestartGaveUp", attempts: 0 }], "stop"],
    ["then nothing: it stays failed", [config({ max_retries: 0 }), up, spawned, ok, bad, bad, { _tag: "RestartGaveUp", attempts: 0 }, stopped], "none"],
    ["nothing for an exit of an instance wanted down", [up, spawned, down, exited], "none"],
    ["spawn after an up that follows an exit", [up, spawned, exited, up], "spawn"],
    ["nothing for two ups at once: one server", [up, up, spawned, up], "none"],
    ["stop first on a restart of a running server", [up, spawned, restart], "stop"],
    ["then spawn again", [up, spawned, restart, stopped], "spawn"],
    ["spawn on a restart of a stopped instance", [restart], "spawn"],
    ["nothing new when up comes while a stop is under way", [up, spawned, down, up], "none"],
    ["and then spawn once it stopped", [up, spawned, down, up, stopped], "spawn"],
    ["nothing after a start failed by a configuration error", [up, configError], "none"],
    ["spawn on up after a configuration error", [up, configError, up], "spawn"],
    ["schedule a restart after a start that may pass if tried again", [up, portTaken], "schedule"],
    ["the same after an early exit with the server's words", [up, spawned, exited, portTaken], "schedule"],
    ["spawn the failed start again when due", [up, portTaken, scheduled(1, NOW, "failed_start")], "spawn"],
    ["schedule the next try when that one fails too, not spawn at once", [up, portTaken, scheduled(1, NOW, "failed_start"), portTaken], "schedule"],
    ["the same when a due restart after a crash fails to start", [up, spawned, exited, scheduled(1, NOW), portTaken], "schedule"],
    ["nothing after a failed start when restarts are off", [config({ enabled: false }), up, portTaken], "none"],
    ["schedule a restart for a process lost while no daemon ran", [up, spawned, { _tag: "ProcessLost", pid: 10, reason: "gone" }], "schedule"]
  ])("%s", (_, events, action) => {
    expect(decide(events)).toBe(action)
  })
})

describe("decideRestart", () => {
  it("schedules attempts with growing delays, then gives up after max_retries", () => {
    let events: Array<Event> = [config({ max_retries: 3, initial_delay: "1s", backoff_multiplier: 2 }), up, spawned, exited]
    const decisions: Array<Event> = []
    for (let i = 0; i < 4; i++) {
      const decision = decideRestart(stateAfter(events), NOW)
      decisions.push(decision)
      events = [...events, decision, { ...spawned, pid: 20 + i } as Event, { ...exited, pid: 20 + i } as Event]
    }
    expect(decisions).toEqual([
      { _tag: "RestartScheduled", attempt: 1, delay_ms: 1_000, due_at: NOW + 1_000, reason: "exited" },
      { _tag: "RestartScheduled", attempt: 2, delay_ms: 2_000, due_at: NOW + 2_000, reason: "exited" },
      { _tag: "RestartScheduled", attempt: 3, delay_ms: 4_000, due_at: NOW + 4_000, reason: "exited" },
      { _tag: "RestartGaveUp", attempts: 3 }
    ])
  })

  it("starts again from attempt 1 after reset_after of healthy running", () => {
    const running: Array<Event> = [config({ reset_after: "10s" }), up, spawned, exited, scheduled(1, 0), scheduled(2, 0), { ...spawned, pid: 30 } as Event]
    const healthyLong: Array<Envelope> = [...running, ok].map((event, i) => ({ seq: i + 1, at: i * 1_000, instance: "a", event }))
    healthyLong.push({ seq: 100, at: 60_000, instance: "a", event: ok }, { seq: 101, at: 61_000, instance: "a", event: { ...exited, pid: 30 } as Event })
    const instance = fold(healthyLong).instances["a"]!
    expect(decideRestart(instance, NOW)).toMatchObject({ attempt: 1 })
    expect(decideRestart(stateAfter([...running, ok, { ...exited, pid: 30 } as Event]), NOW)).toMatchObject({ attempt: 3 })
  })

  it("retries failed starts with the same backoff, then gives up after max_retries", () => {
    let events: Array<Event> = [config({ max_retries: 2, initial_delay: "1s", backoff_multiplier: 2 }), up, portTaken]
    const decisions: Array<Event> = []
    for (let i = 0; i < 3; i++) {
      const decision = decideRestart(stateAfter(events), NOW)
      decisions.push(decision)
      events = [...events, decision, portTaken]
    }
    expect(decisions).toEqual([
      { _tag: "RestartScheduled", attempt: 1, delay_ms: 1_000, due_at: NOW + 1_000, reason: "failed_start" },
      { _tag: "RestartScheduled", attempt: 2, delay_ms: 2_000, due_at: NOW + 2_000, reason: "failed_start" },
      { _tag: "RestartGaveUp", attempts: 2 }
    ])
    expect(stateAfter([...events.slice(0, -1), decisions[2]!])).toMatchObject({ status: "failed" })
  })

  it("says exited again once a retried start runs and then exits", () => {
    expect(decideRestart(stateAfter([up, portTaken, scheduled(1, NOW, "failed_start"), spawned, exited]), NOW)).toMatchObject({ reason: "exited" })
  })

  it("says unhealthy when the server still runs", () => {
    expect(decideRestart(stateAfter([config({}), up, spawned, ok, bad, bad]), NOW)).toMatchObject({ reason: "unhealthy", attempt: 1 })
  })
})

describe("claim: a server of this home that no one tracks", () => {
  it.each<[string, ReadonlyArray<Event>, boolean, "adopt" | "stop"]>([
    ["is adopted by an instance wanted up that has none", [up], false, "adopt"],
    ["the same while a restart waits", [up, spawned, exited, scheduled(1, NOW)], false, "adopt"],
    ["is stopped beside the server the daemon runs for its instance", [up, spawned], true, "stop"],
    ["is stopped for an instance wanted down", [up, spawned, down, stopped], false, "stop"],
    ["is stopped for an instance the journal does not know", [], false, "stop"]
  ])("%s", (_, events, tracking, action) => {
    expect(claim(events.length === 0 ? undefined : stateAfter(events), tracking)).toBe(action)
  })
})
