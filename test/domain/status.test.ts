import { describe, expect, it } from "vitest"
import { type Decided, type Input, decide } from "../../src/domain/decide.js"
import { EVENT_TYPES, type Envelope, type Event, type EventType } from "../../src/domain/events.js"
import { type InstanceState, type State, type Status, fold, initialState, newInstance } from "../../src/domain/instances.js"
import { STATUSES, TRANSITIONS, transitionProblem } from "../../src/domain/status.js"
import { claim, reconcile } from "../../src/domain/supervise.js"

const applied = (restart_policy: Record<string, unknown> = {}): Event => ({
  _tag: "ConfigApplied",
  config: { model: { path: "m.gguf" }, server: { port: 8080 }, healthcheck: { retries: 2, start_period: 0 }, restart_policy },
  hash: "h1"
})
const up: Event = { _tag: "StartRequested", by: "cli" }
const down: Event = { _tag: "StopRequested", by: "cli" }
const restart: Event = { _tag: "RestartRequested", by: "cli" }
const spawned: Event = { _tag: "ProcessSpawned", pid: 10, start_time: "1", argv: [], stdout: "o", stderr: "e" }
const ok: Event = { _tag: "HealthProbed", result: "ok", status: 200, latency_ms: 1, path: "/health" }
const bad: Event = { _tag: "HealthProbed", result: "error", status: 500, latency_ms: 1, path: "/health" }
const exited: Event = { _tag: "ProcessExited", pid: 10, code: 1, signal: null, uptime_ms: 5 }
const scheduled = (reason: "exited" | "unhealthy"): Event => ({ _tag: "RestartScheduled", attempt: 1, delay_ms: 1_000, due_at: 500_000, reason })
const gaveUp: Event = { _tag: "RestartGaveUp", attempts: 0 }

const stateAfter = (events: ReadonlyArray<Event>): InstanceState =>
  fold(events.map((event, i): Envelope => ({ seq: i + 1, at: i * 1_000, instance: "a", event }))).instances["a"] ?? newInstance("a")

/** Histories that reach every status, with and without a server where both happen. */
const HISTORIES: ReadonlyArray<[string, ReadonlyArray<Event>]> = [
  ["never started", []],
  ["asked up", [applied(), up]],
  ["exited", [applied({ enabled: false }), up, spawned, ok, exited]],
  ["given up on while it ran, then asked up again", [applied({ max_retries: 0 }), up, spawned, ok, bad, bad, gaveUp, up]],
  ["starting", [applied(), up, spawned]],
  ["running", [applied(), up, spawned, ok]],
  ["running, a restart asked for", [applied(), up, spawned, ok, restart]],
  ["running unhealthy, its restart scheduled", [applied(), up, spawned, ok, bad, bad, scheduled("unhealthy")]],
  ["stopping", [applied(), up, spawned, ok, down]],
  ["stopping, asked up again", [applied(), up, spawned, ok, down, up]],
  ["in backoff", [applied(), up, spawned, ok, exited, scheduled("exited")]],
  ["failed by a configuration error", [applied(), up, { _tag: "SpawnFailed", reason: "bad flag", config_error: true }]],
  ["failed after an exit", [applied(), up, spawned, exited, gaveUp]],
  ["failed while it still runs", [applied({ max_retries: 0 }), up, spawned, ok, bad, bad, gaveUp]]
]

/** One event of each type, about the instance's own server where it has one. */
const sample = (type: EventType, instance: InstanceState): Event => {
  const pid = instance.pid ?? 10
  switch (type) {
    case "ConfigApplied": return applied({ max_retries: 3 })
    case "StartRequested": return up
    case "StopRequested": return down
    case "RestartRequested": return restart
    case "ProcessSpawned": return { ...spawned, pid: 20 } as Event
    case "SpawnFailed": return { _tag: "SpawnFailed", reason: "port in use", config_error: false }
    case "ProcessExited": return { ...exited, pid } as Event
    case "ProcessStopped": return { _tag: "ProcessStopped", pid, how: "graceful", took_ms: 5 }
    case "ProcessAdopted": return { _tag: "ProcessAdopted", pid, start_time: "1" }
    case "ProcessLost": return { _tag: "ProcessLost", pid, reason: "gone" }
    case "HealthProbed": return ok
    case "RestartScheduled": return scheduled(instance.pid === null ? "exited" : "unhealthy")
    case "RestartGaveUp": return gaveUp
    case "DaemonStarted": return { _tag: "DaemonStarted", pid: 1, version: "x" }
    case "DaemonStopped": return { _tag: "DaemonStopped", reason: "x" }
    case "ApiListening": return { _tag: "ApiListening", host: "127.0.0.1", port: 7433 }
    case "ApiFailed": return { _tag: "ApiFailed", host: "127.0.0.1", port: 7433, problem: "port taken" }
    case "RequestServed": return { _tag: "RequestServed", endpoint: "/v1/chat/completions", status: 200, streamed: false, duration_ms: 5, queued_ms: 0, ttft_ms: null, prompt_tokens: 3, completion_tokens: 4, tokens_per_second: 50 }
    case "LogRotated": return { _tag: "LogRotated", stream: "stderr", size: 1 }
    case "JournalCompacted": return { _tag: "JournalCompacted", base_seq: 1, deleted: 0, deleted_requests: 0, older_than: 1 }
    case "DevicesListed": return { _tag: "DevicesListed", binary: ["llama-server"], devices: [], unparsed: [] }
  }
}

describe("the status-transition table", () => {
  it("has histories for every status", () => {
    expect(new Set(HISTORIES.map(([, events]) => stateAfter(events).status))).toEqual(new Set(STATUSES))
  })

  const cases = HISTORIES.flatMap(([history, events]) => EVENT_TYPES.map((type) => [history, type, events] as const))
  it.each(cases)("given %s, %s moves the status only as the table says, where it can happen", (_, type, events) => {
    const before = stateAfter(events)
    const event = sample(type, before)
    const after = stateAfter([...events, event]).status
    const allowed = TRANSITIONS[type][before.status]
    // Where the table says it cannot happen, the fold still folds it (old journals replay): the decider never makes it.
    if (allowed !== undefined) expect(allowed, `${type} from ${before.status}`).toContain(after)
  })

  it.each<[string, ReadonlyArray<Event>, Event, string]>([
    ["a spawn while a server runs", [applied(), up, spawned], { ...spawned, pid: 20 } as Event, "ProcessSpawned (pid 20) while pid 10 runs"],
    ["the adoption of another server while one runs", [applied(), up, spawned], { _tag: "ProcessAdopted", pid: 20, start_time: "2" },
      "ProcessAdopted (pid 20) while pid 10 runs"],
    ["the exit of a server that is not the instance's", [applied(), up, spawned], { ...exited, pid: 20 } as Event,
      "ProcessExited of pid 20, but the instance's server is 10"],
    ["a loss where no server was recorded", [applied(), up], { _tag: "ProcessLost", pid: 20, reason: "gone" }, "ProcessLost of pid 20, but the instance's server is none"],
    ["giving up on an instance being stopped", [applied(), up, spawned, down], gaveUp, "RestartGaveUp cannot happen to a stopping instance"]
  ])("names what is impossible: %s", (_, events, event, problem) => {
    expect(transitionProblem(stateAfter(events), event, 100_000)).toBe(problem)
  })
})

/**
 * A seeded run of the daemon's world against one instance: requests, the supervisor's passes and
 * the actions its plan asks for, probes, exits, a daemon crash and takeover. Every event comes from
 * the decider or from an action of the plan, as in the daemon; each must be a move the table allows.
 */
const simulate = (seed: number, steps: number) => {
  let x = seed
  const random = () => (x = (x * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648
  const pick = <A>(items: ReadonlyArray<A>): A => items[Math.floor(random() * items.length)]!
  let state: State = initialState
  let now = 1_000_000
  let nextPid = 100
  const problems: Array<string> = []
  const seen = new Set<string>()
  let step = 0
  const record = (events: ReadonlyArray<Decided | Event>) => {
    for (const entry of events) {
      const event = "event" in entry ? entry.event : entry
      const before = state.instances["a"] ?? newInstance("a")
      const problem = transitionProblem(before, event, now)
      if (problem !== undefined) problems.push(`step ${step}: ${problem}`)
      state = fold([{ seq: state.seq + 1, at: now, instance: "a", event }], state)
      seen.add(`${before.status} --${event._tag}--> ${state.instances["a"]!.status}`)
    }
  }
  const on = (input: Input) => record(decide(state, input, now))
  const configs = [
    { model: { path: "m.gguf" }, server: { port: 8080 }, healthcheck: { retries: 2, start_period: 0 }, restart_policy: { max_retries: 2 } },
    { model: { path: "m.gguf" }, server: { port: 8080 }, healthcheck: { retries: 2, start_period: 0 }, restart_policy: { max_retries: 1_000, initial_delay: 1 } },
    { model: { path: "m.gguf" }, server: { port: 8080 }, healthcheck: { retries: 1, start_period: 0 }, restart_policy: { enabled: false } },
    { model: { path: "m.gguf" }, server: { port: 0 } }
  ]
  for (; step < steps; step++) {
    now += Math.floor(random() * 3_000)
    const instance = state.instances["a"] ?? newInstance("a")
    const server = instance.pid
    switch (pick(["up", "down", "restart", "pass", "act", "act", "act", "probe", "probe", "exit", "takeover", "orphan"] as const)) {
      case "up": {
        const index = Math.floor(random() * configs.length)
        on({ _tag: "Up", instance: "a", config: configs[index]!, hash: `h${index}`, by: "cli" })
        break
      }
      case "down":
        on({ _tag: "Down", instance: "a", by: "cli" })
        break
      case "restart":
        on({ _tag: "Restart", instance: "a", by: "cli" })
        break
      case "pass":
        on({ _tag: "Supervise", instance: "a" })
        break
      case "act": {
        const action = reconcile(instance, now)
        if (action === "schedule") on({ _tag: "Supervise", instance: "a" })
        else if (action === "stop" && server !== null) record([{ _tag: "ProcessStopped", pid: server, how: "graceful", took_ms: 5 }])
        else if (action === "spawn") {
          if (instance.decoded_config === null) record([{ _tag: "SpawnFailed", reason: "no valid config was applied", config_error: true }])
          else if (random() < 0.2) record([{ _tag: "SpawnFailed", reason: "port in use", config_error: false }])
          else record([{ _tag: "ProcessSpawned", pid: nextPid++, start_time: "1", argv: [], stdout: "o", stderr: "e" }])
        }
        break
      }
      case "probe":
        if (server !== null) record([{ ...pick([ok, bad, bad]), latency_ms: step } as Event])
        break
      case "exit":
        if (server !== null) {
          const stderr = random() < 0.5 ? ["error: invalid argument: --bogus"] : ["bye"]
          on({ _tag: "Exited", instance: "a", pid: server, code: 1, signal: null, uptime_ms: 5, ready: instance.seen_ok, stderr })
        }
        break
      case "takeover":
        // The daemon died: the next one finds the recorded server alive or gone.
        if (server !== null) on({ _tag: "Found", instance: "a", pid: server, start_time: instance.start_time ?? "1", alive: random() < 0.5 })
        break
      case "orphan":
        // An unrecorded server: adopted, or stopped while the instance's own runs on.
        {
          const pid = nextPid++
          if (claim(instance, server !== null) === "adopt") on({ _tag: "Found", instance: "a", pid, start_time: "1", alive: true })
          else record([{ _tag: "ProcessStopped", pid, how: "graceful", took_ms: 5 }])
        }
        break
    }
  }
  return { problems, seen }
}

describe("the decider and the supervisor's plan", () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])("make only the moves the table allows (seed %d)", (seed) => {
    const { problems, seen } = simulate(seed, 3_000)
    expect(problems).toEqual([])
    expect(seen.size).toBeGreaterThan(30)
  })

  it("reach every status", () => {
    const reached = new Set([1, 2, 3].flatMap((seed) => [...simulate(seed, 3_000).seen].map((move) => move.split(" ")[0] as Status)))
    expect(reached).toEqual(new Set(STATUSES))
  })
})
