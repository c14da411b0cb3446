import { describe, expect, it } from "vitest"
import type { Envelope, Event } from "../../src/domain/events.js"
import { type InstanceState, RING, evolve, fold, initialState } from "../../src/domain/instances.js"

/** Events for instance "a", one second apart from t = 1,000,000 ms, numbered from 1. */
const given = (...events: ReadonlyArray<Event | readonly [number, Event]>): Array<Envelope> =>
  events.map((entry, index) => {
    const [at, event] = Array.isArray(entry) ? (entry as readonly [number, Event]) : [1_000_000 + index * 1_000, entry as Event]
    return { seq: index + 1, at, instance: "a", event }
  })

const spawned: Event = { _tag: "ProcessSpawned", pid: 4242, start_time: "987654", argv: ["llama-server"], stdout: "o", stderr: "e" }
const probe = (result: "ok" | "loading" | "error" | "unreachable" | "timeout"): Event => ({
  _tag: "HealthProbed",
  result,
  status: result === "ok" ? 200 : result === "loading" ? 503 : result === "error" ? 500 : null,
  latency_ms: 3,
  path: "/health"
})
const config = (healthcheck: Record<string, unknown>): Event => ({
  _tag: "ConfigApplied",
  config: { model: { path: "m.gguf" }, server: { port: 8080 }, healthcheck },
  hash: "h1"
})

const after = (envelopes: ReadonlyArray<Envelope>): InstanceState => fold(envelopes).instances["a"]!

describe("the instances fold: lifecycle", () => {
  it.each<[string, ReadonlyArray<Event>, Partial<InstanceState>]>([
    ["a start request", [{ _tag: "StartRequested", by: "cli" }], { desired: "up", status: "stopped", pid: null }],
    ["a spawn", [{ _tag: "StartRequested", by: "cli" }, spawned], { status: "starting", pid: 4242, start_time: "987654", health: "unknown", started_at: 1_001_000 }],
    ["a first ok probe", [spawned, probe("ok")], { status: "running", health: "healthy", seen_ok: true, health_since: 1_001_000 }],
    ["an unexpected exit", [{ _tag: "StartRequested", by: "cli" }, spawned, probe("ok"), { _tag: "ProcessExited", pid: 4242, code: 134, signal: null, uptime_ms: 2_000 }],
      { status: "stopped", pid: null, health: "error", last_exit: { at: 1_003_000, code: 134, signal: null, uptime_ms: 2_000 } }],
    ["a stop request while running", [spawned, probe("ok"), { _tag: "StopRequested", by: "cli" }], { desired: "down", status: "stopping", pid: 4242 }],
    ["a graceful stop", [spawned, { _tag: "StopRequested", by: "cli" }, { _tag: "ProcessStopped", pid: 4242, how: "graceful", took_ms: 2_100 }],
      { desired: "down", status: "stopped", pid: null, health: "unknown" }],
    ["an exit after our stop request", [spawned, { _tag: "StopRequested", by: "cli" }, { _tag: "ProcessExited", pid: 4242, code: null, signal: "SIGABRT", uptime_ms: 10 }],
      { status: "stopped", health: "unknown" }],
    ["a failed start that may pass if tried again", [{ _tag: "StartRequested", by: "cli" }, { _tag: "SpawnFailed", reason: "port 8080 is in use", config_error: false }],
      { status: "stopped", health: "error", last_error: "port 8080 is in use", start_failed_at: 1_001_000 }],
    ["a failed start with restarts turned off", [config({}), { _tag: "ConfigApplied", config: { model: { path: "m.gguf" }, server: { port: 8080 }, restart_policy: { enabled: false } }, hash: "h2" },
      { _tag: "StartRequested", by: "cli" }, { _tag: "SpawnFailed", reason: "port 8080 is in use", config_error: false }],
      { status: "failed", health: "error" }],
    ["a failed start by a configuration error", [{ _tag: "StartRequested", by: "cli" }, { _tag: "SpawnFailed", reason: "error: invalid argument: --bogus", config_error: true }],
      { status: "failed", health: "error", last_error: "error: invalid argument: --bogus" }],
    ["a spawn after a failed start", [{ _tag: "SpawnFailed", reason: "port 8080 is in use", config_error: false }, spawned],
      { status: "starting", last_error: null, start_failed_at: null }],
    ["an adoption by a new daemon", [spawned, probe("ok"), { _tag: "ProcessAdopted", pid: 4242, start_time: "987654" }], { status: "running", pid: 4242 }],
    ["an adoption of a server no one recorded, while a restart was pending", [spawned, { _tag: "ProcessExited", pid: 4242, code: 1, signal: null, uptime_ms: 5 },
      { _tag: "RestartScheduled", attempt: 1, delay_ms: 1_000, due_at: 1_003_000, reason: "exited" }, { _tag: "ProcessAdopted", pid: 4343, start_time: "1" }],
      { status: "starting", pid: 4343, health: "unknown", restart_count: 1, next_restart: null, started_at: 1_003_000 }],
    ["the stop of a server no one recorded, while the instance's own runs", [spawned, probe("ok"), { _tag: "ProcessStopped", pid: 4343, how: "graceful", took_ms: 5 }],
      { status: "running", pid: 4242, health: "healthy" }],
    ["a lost process", [spawned, { _tag: "ProcessLost", pid: 4242, reason: "gone while no daemon ran" }],
      { status: "stopped", pid: null, health: "error", last_error: "gone while no daemon ran" }],
    ["a scheduled restart", [spawned, { _tag: "ProcessExited", pid: 4242, code: 1, signal: null, uptime_ms: 5 },
      { _tag: "RestartScheduled", attempt: 1, delay_ms: 1_000, due_at: 1_003_000, reason: "exited" }],
      { status: "backoff", next_restart: { attempt: 1, due_at: 1_003_000, delay_ms: 1_000, reason: "exited" } }],
    ["the restart itself", [spawned, { _tag: "ProcessExited", pid: 4242, code: 1, signal: null, uptime_ms: 5 },
      { _tag: "RestartScheduled", attempt: 1, delay_ms: 1_000, due_at: 1_003_000, reason: "exited" }, { ...spawned, pid: 4343 } as Event],
      { status: "starting", pid: 4343, restart_count: 1, next_restart: null }],
    ["giving up", [{ _tag: "RestartGaveUp", attempts: 10 }], { status: "failed", last_error: "gave up after 10 restarts" }],
    ["an up after giving up", [{ _tag: "RestartGaveUp", attempts: 10 }, { _tag: "StartRequested", by: "cli" }],
      { status: "stopped", desired: "up", last_error: null }],
    ["a stop request during backoff", [{ _tag: "RestartScheduled", attempt: 2, delay_ms: 2_000, due_at: 5, reason: "unhealthy" }, { _tag: "StopRequested", by: "api" }],
      { status: "stopped", desired: "down", next_restart: null }]
  ])("given %s", (_, events, expected) => {
    expect(after(given(...events))).toMatchObject(expected)
  })

  it("keeps the restart history with the exit that caused each restart", () => {
    const state = after(given(
      spawned,
      { _tag: "ProcessExited", pid: 4242, code: null, signal: "SIGSEGV", uptime_ms: 5 },
      { _tag: "RestartScheduled", attempt: 1, delay_ms: 1_000, due_at: 9, reason: "exited" }
    ))
    expect(state.restarts).toEqual([{ at: 1_002_000, attempt: 1, delay_ms: 1_000, due_at: 9, reason: "exited", exit: { code: null, signal: "SIGSEGV" } }])
  })

  it("keeps the config and its health settings from ConfigApplied", () => {
    const state = after(given(config({ retries: 5, start_period: "2m" })))
    expect(state).toMatchObject({ config_hash: "h1", retries: 5, start_period_ms: 120_000 })
  })

  it("keeps the config decoded, as plain JSON that a snapshot stores and reads back as it was", () => {
    const written = { model: { path: "m.gguf" }, server: { port: 8080 }, binary: ["llama", "serve"], healthcheck: { interval: "2s" }, logs: { max_size: "1MB" } }
    const state = fold(given({ _tag: "ConfigApplied", config: written, hash: "h1" }))
    expect(state.instances["a"]!.config).toEqual(written)
    expect(state.instances["a"]!.decoded_config).toMatchObject({
      binary: ["llama", "serve"],
      server: { host: "127.0.0.1", port: 8080 },
      healthcheck: { interval: 2_000, retries: 3 },
      logs: { max_size: 1024 ** 2, keep: 5 },
      stop_timeout: 10_000
    })
    expect(JSON.parse(JSON.stringify(state))).toEqual(state)
  })

  it("forgets the decoded config when the config applied next does not decode", () => {
    const state = after(given(config({}), { _tag: "ConfigApplied", config: { model: { path: "m.gguf" } }, hash: "h2" }))
    expect(state).toMatchObject({ config: { model: { path: "m.gguf" } }, config_hash: "h2", decoded_config: null })
  })

  it("records the daemon's own events apart from instances", () => {
    const state = fold([
      { seq: 1, at: 10, instance: null, event: { _tag: "DaemonStarted", pid: 77, version: "0.1.0" } },
      { seq: 2, at: 20, instance: null, event: { _tag: "DaemonStopped", reason: "orch daemon stop" } }
    ])
    expect(state).toEqual({ seq: 2, base_seq: 0, instances: {}, daemon: { pid: 77, version: "0.1.0", started_at: 10, stopped_at: 20, stop_reason: "orch daemon stop", api: null } })
  })

  it("keeps where its API listens, or why it could not, until the next daemon starts", () => {
    const started = { seq: 1, at: 10, instance: null, event: { _tag: "DaemonStarted", pid: 77, version: "0.1.0" } } as const
    const failed = fold([started, { seq: 2, at: 11, instance: null, event: { _tag: "ApiFailed", host: "127.0.0.1", port: 7433, problem: "port 7433 is taken" } }])
    expect(failed.daemon?.api).toEqual({ host: "127.0.0.1", port: 7433, problem: "port 7433 is taken" })
    const listening = fold([{ seq: 3, at: 12, instance: null, event: { _tag: "ApiListening", host: "127.0.0.1", port: 40001 } }], failed)
    expect(listening.daemon?.api).toEqual({ host: "127.0.0.1", port: 40001, problem: null })
    expect(fold([{ ...started, seq: 4 }], listening).daemon?.api).toBeNull()
  })
})

describe("the instances fold: health", () => {
  const start = 1_000_000
  const at = (seconds: number, event: Event) => [start + seconds * 1_000, event] as const

  it.each<[string, ReadonlyArray<readonly [number, Event]>, Partial<InstanceState>]>([
    ["failures inside start_period do not count",
      [at(0, config({ start_period: "60s", retries: 2 })), at(1, spawned), at(5, probe("unreachable")), at(10, probe("unreachable")), at(15, probe("loading"))],
      { health: "loading", consecutive_failures: 0, status: "starting" }],
    ["failures after start_period count up to unhealthy",
      [at(0, config({ start_period: "10s", retries: 2 })), at(1, spawned), at(20, probe("timeout")), at(25, probe("timeout"))],
      { health: "unhealthy", consecutive_failures: 2 }],
    ["a success ends the start period early",
      [at(0, config({ start_period: "10m", retries: 2 })), at(1, spawned), at(2, probe("ok")), at(3, probe("error")), at(4, probe("error"))],
      { health: "unhealthy", consecutive_failures: 2 }],
    ["fewer failures than retries keep the health it had",
      [at(0, config({ retries: 3 })), at(1, spawned), at(2, probe("ok")), at(3, probe("error")), at(4, probe("timeout"))],
      { health: "healthy", consecutive_failures: 2 }],
    ["one success resets the failure count",
      [at(0, config({ retries: 3 })), at(1, spawned), at(2, probe("ok")), at(3, probe("error")), at(4, probe("error")), at(5, probe("ok"))],
      { health: "healthy", consecutive_failures: 0, health_since: start + 2_000 }],
    ["a server still loading after start_period fails its probes",
      [at(0, config({ start_period: "5s", retries: 1 })), at(1, spawned), at(10, probe("loading"))],
      { health: "unhealthy", consecutive_failures: 1 }],
    ["a new process starts a new start period",
      [at(0, config({ start_period: "10s", retries: 1 })), at(1, spawned), at(2, probe("ok")), at(30, { _tag: "ProcessExited", pid: 4242, code: 1, signal: null, uptime_ms: 29_000 }),
        at(31, spawned), at(35, probe("unreachable"))],
      { health: "unknown", consecutive_failures: 0, seen_ok: false }]
  ])("%s", (_, events, expected) => {
    expect(after(given(...events))).toMatchObject(expected)
  })

  it(`keeps only the last ${RING} probes`, () => {
    const probes = Array.from({ length: RING + 5 }, (_, i): Event => ({ ...probe("ok"), latency_ms: i }) as Event)
    const state = after(given(spawned, ...probes))
    expect(state.probes).toHaveLength(RING)
    expect(state.probes[0]!.latency_ms).toBe(5)
    expect(state.probes.at(-1)!.latency_ms).toBe(RING + 4)
  })
})

describe("fold", () => {
  /** A seeded pseudo-random event mix over three instances and the daemon. */
  const randomEnvelopes = (seed: number, count: number): Array<Envelope> => {
    let x = seed
    const next = () => (x = (x * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648
    const choices: ReadonlyArray<Event> = [
      spawned, probe("ok"), probe("ok"), probe("ok"), probe("loading"), probe("error"), probe("timeout"), probe("unreachable"),
      { _tag: "ProcessExited", pid: 4242, code: 1, signal: null, uptime_ms: 1 }, { _tag: "StartRequested", by: "cli" },
      { _tag: "StopRequested", by: "cli" }, { _tag: "RestartScheduled", attempt: 1, delay_ms: 1, due_at: 2, reason: "exited" },
      { _tag: "RestartGaveUp", attempts: 3 }, { _tag: "LogRotated", stream: "stderr", size: 10 }, config({ retries: 2, start_period: 3 })
    ]
    return Array.from({ length: count }, (_, i) => {
      const daemon = next() < 0.05
      return {
        seq: i + 1,
        at: 1_000 + i * 700,
        instance: daemon ? null : ["a", "b", "c"][Math.floor(next() * 3)]!,
        event: daemon ? { _tag: "DaemonStarted", pid: 1, version: "x" } : choices[Math.floor(next() * choices.length)]!
      }
    })
  }

  it.each([1, 2, 3, 4, 5])("equals evolve applied one event at a time (seed %d), and leaves its input alone", (seed) => {
    const envelopes = randomEnvelopes(seed, 600)
    const half = fold(envelopes.slice(0, 300))
    const frozen = JSON.stringify(half)
    const byFold = fold(envelopes.slice(300), half)
    const byEvolve = envelopes.slice(300).reduce(evolve, half)
    expect(byFold).toEqual(byEvolve)
    expect(JSON.stringify(half)).toBe(frozen)
    expect(fold(envelopes)).toEqual(envelopes.reduce(evolve, initialState))
  })
})
