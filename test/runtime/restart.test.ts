import { describe, expect, it } from "vitest"
import { type JournalLine, addSim, daemonPid, servers, simHome, types } from "../support/daemon.js"
import { freePort } from "../support/net.js"
import { orch } from "../support/orch.js"
import { waitFor } from "../support/sim.js"

/** Waits, at most `limitMs`, until the instance's journal holds what `done` looks for. */
const journalUntil = (home: string, name: string, done: (events: ReadonlyArray<JournalLine>) => boolean, limitMs: number) =>
  waitFor(async () => {
    const events = types(home, name)
    return done(events) ? events : undefined
  }, limitMs, 250)

const has = (type: string, n = 1) => (events: ReadonlyArray<JournalLine>) => events.filter((event) => event.type === type).length >= n
const only = (events: ReadonlyArray<JournalLine>, type: string) => events.filter((event) => event.type === type)
const lifecycle = (events: ReadonlyArray<JournalLine>) => events.map((event) => event.type).filter((type) => type !== "HealthProbed")

const healthJson = (home: string, name: string) => {
  const run = orch(["health", name, "--home", home, "--json"])
  return { code: run.code, health: JSON.parse(run.stdout) as { health: string; status: string; attempts: number; consecutive_failures: number } }
}

describe("health and restarts, end to end with the simulator", { timeout: 60_000 }, () => {
  it("lets a slow load inside start_period pass: loading, then healthy, no false alarm", async () => {
    const home = simHome()
    addSim(home, "slow", await freePort(), ["--sim-load-ms", "2500"], { healthcheck: { interval: "500ms", retries: 1, start_period: "20s" } })
    const up = orch(["up", "slow", "--home", home])
    expect(up.code).toBe(0)
    expect(up.stdout).toMatch(/slow: HealthProbed loading 503/)
    expect(up.stdout).toMatch(/✓ slow: healthy/)
    const events = types(home, "slow")
    expect(only(events, "HealthProbed").filter((probe) => probe.data["result"] === "loading").length).toBeGreaterThanOrEqual(3)
    expect(lifecycle(events)).toEqual(["ConfigApplied", "StartRequested", "ProcessSpawned"])
    expect(healthJson(home, "slow")).toMatchObject({ code: 0, health: { health: "healthy", consecutive_failures: 0 } })
    const table = orch(["health", "--all", "--home", home])
    expect(table.stdout).toMatch(/│ slow +│ healthy +│/)
    expect(table.code).toBe(0)
  })

  it("restarts a crashing server after the policy's growing delays, then gives up: failed, in events and health", async () => {
    const home = simHome()
    addSim(home, "flaky", await freePort(), ["--sim-crash-after-ms", "2200", "--sim-crash-code", "3"], {
      healthcheck: { interval: "1s" },
      restart_policy: { initial_delay: "300ms", backoff_multiplier: 2, max_delay: "1s", max_retries: 3 }
    })
    expect(orch(["up", "flaky", "--home", home]).code).toBe(0)
    const events = await journalUntil(home, "flaky", has("RestartGaveUp"), 30_000)
    expect(lifecycle(events)).toEqual([
      "ConfigApplied", "StartRequested", "ProcessSpawned",
      "ProcessExited", "RestartScheduled", "ProcessSpawned",
      "ProcessExited", "RestartScheduled", "ProcessSpawned",
      "ProcessExited", "RestartScheduled", "ProcessSpawned",
      "ProcessExited", "RestartGaveUp"
    ])
    expect(only(events, "ProcessExited").map((exit) => exit.data["code"])).toEqual([3, 3, 3, 3])
    const scheduled = only(events, "RestartScheduled")
    expect(scheduled.map((restart) => [restart.data["attempt"], restart.data["delay_ms"], restart.data["reason"]])).toEqual([
      [1, 300, "exited"], [2, 600, "exited"], [3, 1_000, "exited"]
    ])
    // Each restart starts once its delay is over, not before, and without dawdling.
    const restarts = only(events, "ProcessSpawned").slice(1)
    restarts.forEach((spawned, i) => {
      const due = scheduled[i]!.data["due_at"] as number
      expect(spawned.at).toBeGreaterThanOrEqual(due)
      expect(spawned.at - due).toBeLessThan(500)
    })
    expect(only(events, "HealthProbed").some((probe) => probe.data["result"] === "ok")).toBe(true)
    expect(healthJson(home, "flaky")).toMatchObject({ code: 1, health: { status: "failed", attempts: 3 } })
    const health = orch(["health", "flaky", "--home", home, "--last", "30"])
    expect(health.stdout).toMatch(/^flaky: error for .* \(status failed\)$/m)
    expect(health.stdout).toMatch(/restarts in a row: 3 of 3; next restart: -/)
    // More probes than the state keeps: they come from the journal.
    const probed = only(events, "HealthProbed").length
    expect(health.stdout.split("\n").filter((line) => /│ (ok|loading|error|unreachable|timeout) /.test(line))).toHaveLength(Math.min(30, probed))
    const text = orch(["events", "--home", home, "--instance", "flaky", "--type", "RestartScheduled,RestartGaveUp"]).stdout
    expect(text).toMatch(/RestartScheduled +attempt 3 in 1s \(exited\)/)
    expect(text).toMatch(/RestartGaveUp/)
    expect(servers(home)).toEqual([])
  })

  it("detects a hung server within interval × retries + timeout, stops it and starts it again", async () => {
    const home = simHome()
    const hangAfter = 1_500
    addSim(home, "hung", await freePort(), ["--sim-hang-after-ms", String(hangAfter)], {
      healthcheck: { interval: "500ms", timeout: "300ms", retries: 2 },
      restart_policy: { initial_delay: "200ms", max_retries: 1 }
    })
    expect(orch(["up", "hung", "--home", home]).code).toBe(0)
    const events = await journalUntil(home, "hung", has("ProcessSpawned", 2), 15_000)
    const [first, second] = only(events, "ProcessSpawned")
    const scheduled = only(events, "RestartScheduled")[0]!
    expect(scheduled.data["reason"]).toBe("unhealthy")
    // The simulator hangs hangAfter ms after it starts, a little after its spawn: this errs on the long side.
    const detection = scheduled.at - (first!.at + hangAfter)
    expect(detection).toBeLessThanOrEqual(500 * 2 + 300 + 300)
    const timeouts = only(events, "HealthProbed").filter((probe) => probe.data["result"] === "timeout")
    expect(timeouts.length).toBeGreaterThanOrEqual(2)
    expect(timeouts[0]!.data["reason"]).toBe("no answer in 300 ms")
    // Stopped (it still takes SIGTERM) before the new one started.
    const stopped = only(events, "ProcessStopped")[0]!
    expect(stopped.data).toMatchObject({ pid: first!.data["pid"], how: "graceful" })
    expect(stopped.seq).toBeLessThan(second!.seq)
  })

  it("restarts a server whose /health answers 500 once start_period is over, and stops it when it gives up", async () => {
    const home = simHome()
    addSim(home, "sick", await freePort(), ["--sim-health-status", "500"], {
      healthcheck: { interval: "300ms", retries: 2, start_period: "1s" },
      restart_policy: { initial_delay: "200ms", max_retries: 1 }
    })
    const up = orch(["up", "sick", "--home", home])
    expect(up.stdout).toMatch(/✗ sick: unhealthy: HTTP 500: Internal server error \(the daemon restarts it/)
    expect(up.code).toBe(1)
    const events = await journalUntil(home, "sick", has("RestartGaveUp"), 15_000)
    await journalUntil(home, "sick", has("ProcessStopped", 2), 5_000)
    const final = types(home, "sick")
    expect(lifecycle(final)).toEqual([
      "ConfigApplied", "StartRequested", "ProcessSpawned",
      "RestartScheduled", "ProcessStopped", "ProcessSpawned",
      "RestartGaveUp", "ProcessStopped"
    ])
    const errors = only(events, "HealthProbed").filter((probe) => probe.data["result"] === "error")
    expect(errors[0]!.data).toMatchObject({ status: 500, reason: "HTTP 500: Internal server error" })
    expect(healthJson(home, "sick")).toMatchObject({ code: 1, health: { status: "failed" } })
    expect(servers(home)).toEqual([])
  })

  it("catches a wedged server that still answers /health with a deep probe of /slots", async () => {
    const home = simHome()
    addSim(home, "wedged", await freePort(), ["--sim-wedge-after-ms", "1500"], {
      healthcheck: { interval: "500ms", timeout: "300ms", retries: 2, deep: "slots" },
      restart_policy: { initial_delay: "200ms", max_retries: 1 }
    })
    expect(orch(["up", "wedged", "--home", home]).code).toBe(0)
    const events = await journalUntil(home, "wedged", has("ProcessSpawned", 2), 15_000)
    expect(only(events, "RestartScheduled")[0]!.data["reason"]).toBe("unhealthy")
    const deep = only(events, "HealthProbed").filter((probe) => probe.data["path"] === "/slots")
    expect(deep[0]!.data).toMatchObject({ result: "timeout", reason: "deep probe /slots: no answer in 300 ms" })
  })

  it("still restarts when the daemon was killed with -9 during the backoff wait: at once when overdue, attempts intact", async () => {
    const home = simHome()
    addSim(home, "phoenix", await freePort(), ["--sim-crash-after-ms", "2200"], {
      healthcheck: { interval: "1s" },
      restart_policy: { initial_delay: "2s", backoff_multiplier: 2, max_retries: 5 }
    })
    expect(orch(["up", "phoenix", "--home", home]).code).toBe(0)
    const before = await journalUntil(home, "phoenix", has("RestartScheduled"), 10_000)
    const due = only(before, "RestartScheduled")[0]!.data["due_at"] as number
    process.kill(daemonPid(home)!, "SIGKILL")
    await waitFor(async () => (daemonPid(home) === undefined && Date.now() > due + 500 ? true : undefined), 10_000)
    expect(servers(home)).toEqual([])
    expect(types(home, "phoenix").filter((event) => event.type === "ProcessSpawned")).toHaveLength(1)

    expect(orch(["daemon", "start", "--home", home]).code).toBe(0)
    const after = await journalUntil(home, "phoenix", has("RestartScheduled", 2), 15_000)
    const restarted = only(after, "ProcessSpawned")[1]!
    const daemonStarted = types(home).filter((event) => event.type === "DaemonStarted")[1]!
    expect(restarted.at - daemonStarted.at).toBeLessThan(1_000)
    expect(only(after, "RestartScheduled").map((restart) => [restart.data["attempt"], restart.data["delay_ms"]])).toEqual([[1, 2_000], [2, 4_000]])
  })
})
