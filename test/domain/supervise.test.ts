import { describe, expect, it } from "vitest"
import type { Envelope, Event } from "../../src/domain/events.js"
import { fold, newInstance } from "../../src/domain/instances.js"
import { type Action, reconcile } from "../../src/domain/supervise.js"

const spawned: Event = { _tag: "ProcessSpawned", pid: 10, start_time: "1", argv: [], stdout: "o", stderr: "e" }
const exited: Event = { _tag: "ProcessExited", pid: 10, code: 1, signal: null, uptime_ms: 5 }
const stopped: Event = { _tag: "ProcessStopped", pid: 10, how: "graceful", took_ms: 5 }
const up: Event = { _tag: "StartRequested", by: "cli" }
const down: Event = { _tag: "StopRequested", by: "cli" }
const restart: Event = { _tag: "RestartRequested", by: "cli" }

const decide = (events: ReadonlyArray<Event>): Action => {
  const envelopes: Array<Envelope> = events.map((event, i) => ({ seq: i + 1, at: i, instance: "a", event }))
  return reconcile(fold(envelopes).instances["a"] ?? newInstance("a"))
}

describe("reconcile: given these events, the daemon does", () => {
  it.each<[string, ReadonlyArray<Event>, Action]>([
    ["nothing for an instance never asked for", [], "none"],
    ["spawn after up", [up], "spawn"],
    ["nothing once spawned", [up, spawned], "none"],
    ["stop after down", [up, spawned, down], "stop"],
    ["nothing once stopped", [up, spawned, down, stopped], "none"],
    ["nothing after an exit on its own (restarts are the policy's)", [up, spawned, exited], "none"],
    ["spawn after an up that follows an exit", [up, spawned, exited, up], "spawn"],
    ["nothing for two ups at once: one server", [up, up, spawned, up], "none"],
    ["stop first on a restart of a running server", [up, spawned, restart], "stop"],
    ["then spawn again", [up, spawned, restart, stopped], "spawn"],
    ["spawn on a restart of a stopped instance", [restart], "spawn"],
    ["nothing new when up comes while a stop is under way", [up, spawned, down, up], "none"],
    ["and then spawn once it stopped", [up, spawned, down, up, stopped], "spawn"],
    ["nothing after a failed spawn", [up, { _tag: "SpawnFailed", reason: "port in use" }], "none"],
    ["spawn on up after a failed spawn", [up, { _tag: "SpawnFailed", reason: "port in use" }, up], "spawn"],
    ["stop a lost process's successor only when asked", [up, spawned, { _tag: "ProcessLost", pid: 10, reason: "gone" }], "none"]
  ])("%s", (_, events, action) => {
    expect(decide(events)).toBe(action)
  })
})
