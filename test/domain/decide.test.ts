import { describe, expect, it } from "vitest"
import { type Input, decide } from "../../src/domain/decide.js"
import type { Envelope, Event } from "../../src/domain/events.js"
import { fold } from "../../src/domain/instances.js"

/** Given these events for instance "a" (one second apart from t = 0), when `input` comes at NOW, then these events. */
const NOW = 1_000_000
const given = (events: ReadonlyArray<Event>) =>
  fold(events.map((event, i): Envelope => ({ seq: i + 1, at: i * 1_000, instance: "a", event })))

const written = { model: { path: "m.gguf" }, server: { port: 8080 }, healthcheck: { retries: 2, start_period: 0 } }
const changed = { ...written, args: ["--ctx-size", "8192"] }
const applied = (restart_policy: Record<string, unknown> = {}): Event => ({ _tag: "ConfigApplied", config: { ...written, restart_policy }, hash: "h1" })
const up: Event = { _tag: "StartRequested", by: "cli" }
const spawned: Event = { _tag: "ProcessSpawned", pid: 10, start_time: "1", argv: ["llama-server"], stdout: "o", stderr: "e" }
const ok: Event = { _tag: "HealthProbed", result: "ok", status: 200, latency_ms: 1, path: "/health" }
const bad: Event = { _tag: "HealthProbed", result: "error", status: 500, latency_ms: 1, path: "/health" }
const exited: Event = { _tag: "ProcessExited", pid: 10, code: 1, signal: null, uptime_ms: 5 }
const configError: Event = { _tag: "SpawnFailed", reason: "it exited with code 1 before it was ready: error: invalid argument: --bogus", config_error: true }
const gaveUp: Event = { _tag: "RestartGaveUp", attempts: 2 }

const exit = (over: Partial<Extract<Input, { _tag: "Exited" }>> = {}): Input => ({
  _tag: "Exited", instance: "a", pid: 10, code: 1, signal: null, uptime_ms: 5_000, ready: true, stderr: null, ...over
})
const ask = (tag: "Down" | "Restart"): Input => ({ _tag: tag, instance: "a", by: "cli" })
const upWith = (config: Record<string, unknown>, hash: string): Input => ({ _tag: "Up", instance: "a", config, hash, by: "api" })

describe("decide: given events, when an input comes, then these events", () => {
  it.each<[string, ReadonlyArray<Event>, Input, ReadonlyArray<Event>]>([
    // ---- requests
    ["up on a new instance applies its config, then asks for a start", [], upWith(written, "h1"),
      [{ _tag: "ConfigApplied", config: written, hash: "h1" }, { _tag: "StartRequested", by: "api" }]],
    ["up with the config already applied only asks for a start", [applied(), up, spawned, ok], upWith(written, "h1"),
      [{ _tag: "StartRequested", by: "api" }]],
    ["up with a changed config on a running instance restarts it to take it", [applied(), up, spawned, ok], upWith(changed, "h2"),
      [{ _tag: "ConfigApplied", config: changed, hash: "h2" }, { _tag: "RestartRequested", by: "api" }]],
    ["up with a changed config on a stopped instance starts it", [applied(), up, spawned, exited], upWith(changed, "h2"),
      [{ _tag: "ConfigApplied", config: changed, hash: "h2" }, { _tag: "StartRequested", by: "api" }]],
    ["up on a failed instance asks for a start: a fresh chance", [applied(), up, configError], upWith(written, "h1"),
      [{ _tag: "StartRequested", by: "api" }]],
    ["down asks for a stop", [applied(), up, spawned], ask("Down"), [{ _tag: "StopRequested", by: "cli" }]],
    ["down on a failed instance asks for a stop all the same", [applied(), up, configError], ask("Down"), [{ _tag: "StopRequested", by: "cli" }]],
    ["restart of a running instance asks for a restart, with the config it has", [applied(), up, spawned, ok], ask("Restart"),
      [{ _tag: "RestartRequested", by: "cli" }]],
    ["restart of a failed instance asks for a restart", [applied(), up, configError], ask("Restart"), [{ _tag: "RestartRequested", by: "cli" }]],
    // ---- exits
    ["an exit of a server that was ready", [applied(), up, spawned, ok], exit(),
      [{ _tag: "ProcessExited", pid: 10, code: 1, signal: null, uptime_ms: 5_000 }]],
    ["an early exit with a configuration error in its words: a failed start no retry mends", [applied(), up, spawned],
      exit({ ready: false, stderr: ["build: 1 (abc)", "0.00.010.574 E error: invalid argument: --bogus", "usage: llama-server [options]", "main: exiting"] }),
      [{ _tag: "ProcessExited", pid: 10, code: 1, signal: null, uptime_ms: 5_000 },
        { _tag: "SpawnFailed", reason: "it exited with code 1 before it was ready: error: invalid argument: --bogus", config_error: true }]],
    ["an early exit for another reason: a failed start to retry, with its last words", [applied(), up, spawned],
      exit({ ready: false, stderr: ["a", "b", "0.00.008.194 E srv  start: couldn't bind HTTP server socket, port: 8080", "main: exiting"] }),
      [{ _tag: "ProcessExited", pid: 10, code: 1, signal: null, uptime_ms: 5_000 },
        { _tag: "SpawnFailed", reason: "it exited with code 1 before it was ready: b | srv  start: couldn't bind HTTP server socket, port: 8080 | main: exiting", config_error: false }]],
    ["an early exit by a signal, silent", [applied(), up, spawned], exit({ code: null, signal: "SIGKILL", ready: false, stderr: [] }),
      [{ _tag: "ProcessExited", pid: 10, code: null, signal: "SIGKILL", uptime_ms: 5_000 },
        { _tag: "SpawnFailed", reason: "it was killed by SIGKILL before it was ready", config_error: false }]],
    ["an exit of an adopted server: no uptime, and its words are not ours to read", [applied(), up, spawned, { _tag: "ProcessAdopted", pid: 10, start_time: "1" }],
      exit({ uptime_ms: null, ready: false, stderr: null }),
      [{ _tag: "ProcessExited", pid: 10, code: 1, signal: null, uptime_ms: null }]],
    // ---- adoption and loss
    ["a recorded server found alive is adopted", [applied(), up, spawned, ok], { _tag: "Found", instance: "a", pid: 10, start_time: "1", alive: true },
      [{ _tag: "ProcessAdopted", pid: 10, start_time: "1" }]],
    ["a recorded server found gone is lost", [applied(), up, spawned, ok], { _tag: "Found", instance: "a", pid: 10, start_time: "1", alive: false },
      [{ _tag: "ProcessLost", pid: 10, reason: "it ended while no daemon was watching" }]],
    ["an unrecorded server of an instance waiting to start is adopted", [applied(), up], { _tag: "Found", instance: "a", pid: 11, start_time: "2", alive: true },
      [{ _tag: "ProcessAdopted", pid: 11, start_time: "2" }]],
    // ---- restarts and giving up
    ["a supervisor pass after an exit schedules the first restart", [applied(), up, spawned, ok, exited], { _tag: "Supervise", instance: "a" },
      [{ _tag: "RestartScheduled", attempt: 1, delay_ms: 1_000, due_at: NOW + 1_000, reason: "exited" }]],
    ["a pass after an unhealthy turn schedules a restart of the running server", [applied(), up, spawned, ok, bad, bad], { _tag: "Supervise", instance: "a" },
      [{ _tag: "RestartScheduled", attempt: 1, delay_ms: 1_000, due_at: NOW + 1_000, reason: "unhealthy" }]],
    ["a pass after a failed start that may pass schedules a retry", [applied(), up, { _tag: "SpawnFailed", reason: "port in use", config_error: false }],
      { _tag: "Supervise", instance: "a" }, [{ _tag: "RestartScheduled", attempt: 1, delay_ms: 1_000, due_at: NOW + 1_000, reason: "failed_start" }]],
    ["a pass after max_retries restarts gives up", [applied({ max_retries: 2 }), up, spawned, exited,
      { _tag: "RestartScheduled", attempt: 1, delay_ms: 1_000, due_at: 1, reason: "exited" }, spawned, exited,
      { _tag: "RestartScheduled", attempt: 2, delay_ms: 2_000, due_at: 2, reason: "exited" }, spawned, exited],
      { _tag: "Supervise", instance: "a" }, [{ _tag: "RestartGaveUp", attempts: 2 }]],
    ["a pass over a healthy server decides nothing", [applied(), up, spawned, ok], { _tag: "Supervise", instance: "a" }, []],
    ["a pass over a failed instance decides nothing", [applied(), up, spawned, exited, gaveUp], { _tag: "Supervise", instance: "a" }, []],
    ["a pass after an exit with restarts off decides nothing", [applied({ enabled: false }), up, spawned, exited], { _tag: "Supervise", instance: "a" }, []],
    ["a pass over an instance no one asked for decides nothing", [], { _tag: "Supervise", instance: "a" }, []]
  ])("%s", (_, events, input, then) => {
    expect(decide(given(events), input, NOW)).toEqual(then.map((event) => ({ instance: "a", event })))
  })
})
