import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, ExecutionStrategy, Exit, Layer, Scope, Stream, TestClock } from "effect"
import type { Envelope, Event } from "../../src/domain/events.js"
import { Journal, JournalLive } from "../../src/journal/Journal.js"
import { currentState } from "../../src/journal/projection.js"
import { runDaemon } from "../../src/runtime/daemon.js"
import { PROBE_BATCH_MS } from "../../src/runtime/probe-batch.js"
import { ProberMemory } from "../../src/runtime/prober-memory.js"
import { MemoryMachine, ProcessesMemory, type Script } from "../../src/runtime/processes-memory.js"
import { tempHome } from "../support/home.js"
import { journalIn, on } from "../support/journal.js"

/**
 * The daemon's own code, in this process: its servers are fake ones on a MemoryMachine, its
 * probes answer from their scripts, its journal is a real one in a temp folder, and its time is
 * TestClock's, so a minute of restarts takes milliseconds and every delay is exact.
 */

/**
 * Real time for fibers to run: the daemon's actions run in daemon fibers, which TestClock does not
 * wait for before it moves on.
 */
const settle = Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 10)))

/** Waits (in real time, never in the test's) until `check` holds. */
const until = (what: string, check: Effect.Effect<boolean, unknown, Journal>) =>
  Effect.gen(function* () {
    for (let round = 0; round < 300; round++) {
      if (yield* check) return
      yield* settle
    }
    return yield* Effect.dieMessage(`never: ${what}`)
  })

/** TestClock moved on by `ms`, then time for what that woke to finish. */
const advance = (ms: number) => Effect.zipRight(TestClock.adjust(ms), settle)

const events = Effect.flatMap(Journal, (journal) => Stream.runCollect(journal.read())).pipe(Effect.map(Chunk.toReadonlyArray), Effect.orDie)
const eventsOf = (instance: string) => Effect.map(events, (all) => all.filter((envelope) => envelope.instance === instance))
const tagged = <T extends Event["_tag"]>(all: ReadonlyArray<Envelope>, tag: T) =>
  all.filter((envelope): envelope is Envelope & { readonly event: Extract<Event, { readonly _tag: T }> } => envelope.event._tag === tag)
const lifecycle = (instance: string) =>
  Effect.map(eventsOf(instance), (all) => all.map((envelope) => envelope.event._tag).filter((tag) => tag !== "HealthProbed"))
const stateOf = (instance: string) => Effect.map(Effect.orDie(currentState), (state) => state.instances[instance]!)

const request = (instance: string, config: Record<string, unknown>, ...scripts: ReadonlyArray<Script>) =>
  Effect.gen(function* () {
    const machine = yield* MemoryMachine
    const journal = yield* Journal
    yield* machine.script(instance, ...scripts)
    yield* Effect.orDie(journal.append([
      on(instance, { _tag: "ConfigApplied", config: { model: { path: "m.gguf" }, server: { port: 8080 }, ...config }, hash: JSON.stringify(config) }),
      on(instance, { _tag: "StartRequested", by: "cli" })
    ]))
  })

/**
 * A daemon in a scope of its own, on the machine and the journal in context: closing the scope
 * is its end (after a crash point, its death; its servers run on, as real ones do). The test's
 * end closes it at the latest, before the journal closes.
 */
const startDaemon = (home: string) =>
  Effect.gen(function* () {
    const started = tagged(yield* events, "DaemonStarted").length
    const scope = yield* Scope.fork(yield* Effect.scope, ExecutionStrategy.sequential)
    yield* runDaemon(home, "test").pipe(Effect.provide(Layer.merge(ProcessesMemory, ProberMemory)), Effect.forkIn(scope))
    yield* until("the daemon started", Effect.map(events, (all) => tagged(all, "DaemonStarted").length > started))
    return scope
  })

const withMachine = (test: (home: string) => Effect.Effect<void, unknown, MemoryMachine | Journal | Scope.Scope>) => {
  const home = tempHome()
  return Effect.scoped(test(home)).pipe(Effect.provide(Layer.merge(MemoryMachine.layer, JournalLive(journalIn(home)))), Effect.orDie)
}

const running = Effect.map(Effect.flatMap(MemoryMachine, (machine) => machine.processes), (all) => all.filter((process) => process.status === undefined))

describe("the daemon in-process: start and health", () => {
  it.effect("spawns a requested server, sees it load, then healthy", () =>
    withMachine((home) =>
      Effect.gen(function* () {
        yield* startDaemon(home)
        yield* request("chat", {}, { health: { loadMs: 2_000 } })
        yield* until("spawned", Effect.map(lifecycle("chat"), (tags) => tags.includes("ProcessSpawned")))
        // The first probe waits for its batch.
        yield* advance(100)
        const [server] = yield* running
        expect((yield* stateOf("chat"))).toMatchObject({ status: "starting", health: "loading", pid: server!.pid })
        expect(server!.marker).toEqual({ home, instance: "chat" })
        yield* advance(2_000)
        expect((yield* stateOf("chat"))).toMatchObject({ status: "running", health: "healthy", pid: server!.pid })
        const probed = tagged(yield* eventsOf("chat"), "HealthProbed")
        expect(probed[0]!.event.result).toBe("loading")
        // Seen ready within 5 % of its load time.
        expect(probed.at(-1)).toMatchObject({ at: expect.any(Number), event: { result: "ok" } })
        expect(probed.at(-1)!.at).toBeGreaterThanOrEqual(2_000)
        expect(probed.at(-1)!.at).toBeLessThanOrEqual(2_100)
        expect(yield* lifecycle("chat")).toEqual(["ConfigApplied", "StartRequested", "ProcessSpawned"])
      })))
})

/**
 * A server that crashes `crashAfter` ms after each start (probed ok at once, so it did start),
 * for `forMs`: when each start was and what the restart policy decided.
 */
const crashLoop = (home: string, restart_policy: Record<string, unknown>, crashAfter: number, forMs: number) =>
  Effect.gen(function* () {
    yield* startDaemon(home)
    const crashes = Array.from({ length: 20 }, (): Script => ({ exitAfter: { ms: crashAfter } }))
    yield* request("flaky", { restart_policy, healthcheck: { interval: "1s" } }, ...crashes)
    yield* until("spawned", Effect.map(eventsOf("flaky"), (all) => tagged(all, "ProcessSpawned").length > 0))
    yield* advance(forMs)
    const all = yield* eventsOf("flaky")
    const spawns = tagged(all, "ProcessSpawned").map((envelope) => envelope.at)
    const decisions = all.flatMap((envelope): ReadonlyArray<ReadonlyArray<number | string>> =>
      envelope.event._tag === "RestartScheduled" ? [[envelope.event.attempt, envelope.event.delay_ms]] : envelope.event._tag === "RestartGaveUp" ? [["gave up"]] : []
    )
    return { spawns, decisions, state: yield* stateOf("flaky") }
  })

describe("the daemon in-process: restarts over TestClock", () => {
  it.effect("waits initial × multiplier^(n−1), capped at max_delay, then gives up after max_retries: failed", () =>
    withMachine((home) =>
      Effect.gen(function* () {
        const run = yield* crashLoop(home, { initial_delay: "1s", backoff_multiplier: 2, max_delay: "5s", max_retries: 5 }, 100, 30_000)
        expect(run.decisions).toEqual([[1, 1_000], [2, 2_000], [3, 4_000], [4, 5_000], [5, 5_000], ["gave up"]])
        // Each start comes exactly its delay after the crash before it.
        const gaps = run.spawns.slice(1).map((at, i) => at - run.spawns[i]! - 100)
        expect(gaps).toEqual([1_000, 2_000, 4_000, 5_000, 5_000])
        expect(run.state.status).toBe("failed")
        expect(yield* running).toEqual([])
      })))

  it.effect("starts from attempt 1 again after reset_after of healthy running", () =>
    withMachine((home) =>
      Effect.gen(function* () {
        const stable = yield* crashLoop(home, { initial_delay: "1s", reset_after: "1s", max_retries: 2 }, 2_500, 20_000)
        expect(stable.decisions.length).toBeGreaterThan(3)
        expect(new Set(stable.decisions.map(String))).toEqual(new Set(["1,1000"]))
      })))

  it.effect("gives up when it crashes before reset_after", () =>
    withMachine((home) =>
      Effect.gen(function* () {
        const unstable = yield* crashLoop(home, { initial_delay: "1s", reset_after: "1s", max_retries: 2 }, 500, 20_000)
        expect(unstable.decisions).toEqual([[1, 1_000], [2, 2_000], ["gave up"]])
      })))

  it.effect("restarts nothing when restarts are off", () =>
    withMachine((home) =>
      Effect.gen(function* () {
        const run = yield* crashLoop(home, { enabled: false }, 100, 10_000)
        expect(run.decisions).toEqual([])
        expect(run.spawns).toHaveLength(1)
        expect(run.state.status).toBe("stopped")
      })))

  it.effect("stops a server that hangs once it is unhealthy, killing it after stop_timeout, and starts it again after the delay", () =>
    withMachine((home) =>
      Effect.gen(function* () {
        yield* startDaemon(home)
        yield* request("hung", { healthcheck: { interval: "1s", timeout: "1s", retries: 3 }, stop_timeout: "2s" }, { health: { hangAfterMs: 5_000 }, onSigterm: "ignore" })
        yield* until("spawned", Effect.map(lifecycle("hung"), (tags) => tags.includes("ProcessSpawned")))
        const [first] = yield* running
        yield* advance(12_000)
        const all = yield* eventsOf("hung")
        const failures = tagged(all, "HealthProbed").filter((envelope) => envelope.event.result === "timeout")
        // Probes at 5, 6 and 7 s get no answer, each for its 1 s timeout: the third makes it unhealthy,
        // seen once its batch is committed (PROBE_BATCH_MS later; only a change of result goes at once).
        expect(failures.slice(0, 3).map((envelope) => envelope.at)).toEqual([6_000, 7_000, 8_000])
        expect(tagged(all, "RestartScheduled").map((envelope) => [envelope.at, envelope.event.reason, envelope.event.due_at])).toEqual([
          [8_000 + PROBE_BATCH_MS, "unhealthy", 9_000 + PROBE_BATCH_MS]
        ])
        expect(tagged(all, "ProcessStopped").map((envelope) => [envelope.at, envelope.event.pid, envelope.event.how, envelope.event.took_ms])).toEqual([
          [10_000 + PROBE_BATCH_MS, first!.pid, "killed", 2_000]
        ])
        // Due 1 s after the decision, but the old one held on for its 2 s stop_timeout: the new one starts once it is gone.
        const spawns = tagged(all, "ProcessSpawned")
        expect(spawns.map((envelope) => envelope.at)).toEqual([0, 10_000 + PROBE_BATCH_MS])
        const [second] = yield* running
        expect(second!.pid).toBe(spawns[1]!.event.pid)
        expect(yield* stateOf("hung")).toMatchObject({ status: "running", health: "healthy" })
      })))
})

describe("the daemon in-process: a crash and the next daemon (issue 15)", () => {
  it.effect("a daemon killed between spawn and its record: the next one adopts the server it left, and spawns no second", () =>
    withMachine((home) =>
      Effect.gen(function* () {
        const machine = yield* MemoryMachine
        yield* machine.crashAt("spawned")
        const first = yield* startDaemon(home)
        yield* request("chat", {})
        yield* machine.crashed
        yield* Scope.close(first, Exit.void)
        const [orphan] = yield* running
        expect(yield* lifecycle("chat")).toEqual(["ConfigApplied", "StartRequested"])

        yield* startDaemon(home)
        yield* until("adopted", Effect.map(lifecycle("chat"), (tags) => tags.includes("ProcessAdopted")))
        yield* advance(60_000)
        expect(yield* lifecycle("chat")).toEqual(["ConfigApplied", "StartRequested", "ProcessAdopted"])
        expect(yield* running).toEqual([orphan])
        expect(yield* stateOf("chat")).toMatchObject({ status: "running", health: "healthy", pid: orphan!.pid })
      })))

  it.effect("a daemon killed after its SIGTERM: the next one adopts the server still stopping and finishes the stop", () =>
    withMachine((home) =>
      Effect.gen(function* () {
        const machine = yield* MemoryMachine
        const journal = yield* Journal
        const first = yield* startDaemon(home)
        yield* request("chat", {}, { stopMs: 3_000 })
        yield* until("spawned", Effect.map(lifecycle("chat"), (tags) => tags.includes("ProcessSpawned")))
        const [server] = yield* running
        yield* machine.crashAt("stop-signalled")
        yield* Effect.orDie(journal.append([on("chat", { _tag: "StopRequested", by: "cli" })]))
        yield* machine.crashed
        yield* Scope.close(first, Exit.void)

        yield* startDaemon(home)
        yield* until("stopped", Effect.map(lifecycle("chat"), (tags) => tags.includes("ProcessStopped")))
        expect(yield* lifecycle("chat")).toEqual(["ConfigApplied", "StartRequested", "ProcessSpawned", "StopRequested", "ProcessAdopted", "ProcessStopped"])
        expect(yield* running).toEqual([])
        expect(server!.status).toEqual({ code: 1, signal: null })
        expect(yield* stateOf("chat")).toMatchObject({ status: "stopped", pid: null })
      })))
})

/** A daemon that dies at `point` while it takes over what the last one left (recovery, before its first pass). */
const startDaemonDyingAt = (home: string, point: "adopting" | "losing") =>
  Effect.gen(function* () {
    const machine = yield* MemoryMachine
    yield* machine.crashAt(point)
    const dying = yield* startDaemon(home)
    yield* machine.crashed
    yield* Scope.close(dying, Exit.void)
  })

/** A daemon that ran chat's server and ended, leaving it running for the next one, as daemon.ts says they do. */
const leftRunning = (home: string, config: Record<string, unknown> = {}) =>
  Effect.gen(function* () {
    const first = yield* startDaemon(home)
    yield* request("chat", config)
    yield* until("spawned", Effect.map(lifecycle("chat"), (tags) => tags.includes("ProcessSpawned")))
    const [server] = yield* running
    yield* Scope.close(first, Exit.void)
    return server!
  })

/** A daemon that runs chat's server, is asked to stop or restart it, and dies once it recorded the stop. The server it ran. */
const diesAfterRecordingStop = (home: string, asked: "StopRequested" | "RestartRequested") =>
  Effect.gen(function* () {
    const machine = yield* MemoryMachine
    const journal = yield* Journal
    const first = yield* startDaemon(home)
    yield* request("chat", {})
    yield* until("spawned", Effect.map(lifecycle("chat"), (tags) => tags.includes("ProcessSpawned")))
    const [server] = yield* running
    yield* machine.crashAt("stopped")
    yield* Effect.orDie(journal.append([on("chat", { _tag: asked, by: "cli" })]))
    yield* machine.crashed
    yield* Scope.close(first, Exit.void)
    return server!
  })

describe("the daemon in-process: a crash after the record, or while taking over", () => {
  it.effect("a daemon killed after recording ProcessStopped of a stop: the next one starts nothing and nothing runs", () =>
    withMachine((home) =>
      Effect.gen(function* () {
        yield* diesAfterRecordingStop(home, "StopRequested")
        const recorded = ["ConfigApplied", "StartRequested", "ProcessSpawned", "StopRequested", "ProcessStopped"]
        expect(yield* lifecycle("chat")).toEqual(recorded)

        yield* startDaemon(home)
        // Past every look for orphans and any restart delay: nothing was left to find, nothing is wanted.
        yield* advance(60_000)
        expect(yield* lifecycle("chat")).toEqual(recorded)
        expect(yield* running).toEqual([])
        expect(yield* stateOf("chat")).toMatchObject({ desired: "down", status: "stopped", pid: null })
      })))

  it.effect("a daemon killed after recording ProcessStopped of a restart, before the new spawn: the next one starts exactly one server", () =>
    withMachine((home) =>
      Effect.gen(function* () {
        const old = yield* diesAfterRecordingStop(home, "RestartRequested")
        expect(yield* lifecycle("chat")).toEqual(["ConfigApplied", "StartRequested", "ProcessSpawned", "RestartRequested", "ProcessStopped"])
        expect(yield* running).toEqual([])

        yield* startDaemon(home)
        yield* until("spawned again", Effect.map(eventsOf("chat"), (all) => tagged(all, "ProcessSpawned").length === 2))
        yield* advance(60_000)
        expect(yield* lifecycle("chat")).toEqual(["ConfigApplied", "StartRequested", "ProcessSpawned", "RestartRequested", "ProcessStopped", "ProcessSpawned"])
        const [server] = yield* running
        expect(yield* running).toHaveLength(1)
        expect(server!.pid).not.toBe(old.pid)
        expect(yield* stateOf("chat")).toMatchObject({ desired: "up", status: "running", health: "healthy", pid: server!.pid })
      })))

  it.effect("a daemon killed while adopting, before ProcessAdopted: the next one adopts the same server, once", () =>
    withMachine((home) =>
      Effect.gen(function* () {
        const server = yield* leftRunning(home)
        yield* startDaemonDyingAt(home, "adopting")
        expect(yield* lifecycle("chat")).toEqual(["ConfigApplied", "StartRequested", "ProcessSpawned"])

        yield* startDaemon(home)
        yield* until("adopted", Effect.map(lifecycle("chat"), (tags) => tags.includes("ProcessAdopted")))
        // Past every look for orphans: the server it adopted is tracked, not an orphan to take over again.
        yield* advance(60_000)
        expect(yield* lifecycle("chat")).toEqual(["ConfigApplied", "StartRequested", "ProcessSpawned", "ProcessAdopted"])
        expect(yield* running).toEqual([server])
        expect(server.received).toEqual([])
        expect(yield* stateOf("chat")).toMatchObject({ status: "running", health: "healthy", pid: server.pid })
      })))

  it.effect("a daemon killed before recording ProcessLost: the next one records it once and starts a server after the restart delay", () =>
    withMachine((home) =>
      Effect.gen(function* () {
        const machine = yield* MemoryMachine
        const server = yield* leftRunning(home, { restart_policy: { initial_delay: "2s" } })
        // It ends while no daemon watches.
        expect(yield* machine.kill(server.pid)).toBe(true)
        yield* startDaemonDyingAt(home, "losing")
        expect(yield* lifecycle("chat")).toEqual(["ConfigApplied", "StartRequested", "ProcessSpawned"])

        yield* startDaemon(home)
        yield* until("restart scheduled", Effect.map(lifecycle("chat"), (tags) => tags.includes("RestartScheduled")))
        yield* advance(2_000)
        yield* until("spawned again", Effect.map(eventsOf("chat"), (all) => tagged(all, "ProcessSpawned").length === 2))
        yield* advance(60_000)
        const all = yield* eventsOf("chat")
        expect(yield* lifecycle("chat")).toEqual(["ConfigApplied", "StartRequested", "ProcessSpawned", "ProcessLost", "RestartScheduled", "ProcessSpawned"])
        expect(tagged(all, "ProcessLost").map((envelope) => envelope.event.pid)).toEqual([server.pid])
        const [scheduled] = tagged(all, "RestartScheduled")
        expect(scheduled!.event).toMatchObject({ attempt: 1, delay_ms: 2_000 })
        const respawn = tagged(all, "ProcessSpawned")[1]!
        expect(respawn.at).toBe(scheduled!.event.due_at)
        expect((yield* running).map((process) => process.pid)).toEqual([respawn.event.pid])
        expect(yield* stateOf("chat")).toMatchObject({ status: "running", health: "healthy", pid: respawn.event.pid })
      })))
})

/**
 * When recovery looks again for marked servers no one tracks, in ms after the daemon's start:
 * each look waits 1 s and then the schedule's doubling gap after the one before (recovery.ts).
 */
const LOOKS = [1_000, 3_000, 6_000, 11_000, 20_000, 37_000]
/** The first look after `at`. */
const lookAfter = (at: number) => LOOKS.find((look) => look > at)!

/** The clock moved on to `at`, exactly. */
const advanceTo = (at: number) => Effect.flatMap(TestClock.currentTimeMillis, (now) => advance(at - now))

const stoppedOf = (instance: string, pid: number) =>
  Effect.map(eventsOf(instance), (all) => tagged(all, "ProcessStopped").filter((envelope) => envelope.event.pid === pid))

/**
 * A daemon past its start-up look, which a server added from now on cannot meet: a leftover of an
 * instance no one wants, there before it, is stopped by that look.
 */
const startDaemonLooked = (home: string) =>
  Effect.gen(function* () {
    const machine = yield* MemoryMachine
    const leftover = yield* machine.addForeign({ marker: { home, instance: "leftover" } })
    const scope = yield* startDaemon(home)
    yield* until("the start-up look", Effect.map(stoppedOf("leftover", leftover.pid), (stopped) => stopped.length > 0))
    // Time for recovery to fork its later looks, whose first wait counts from start-up.
    yield* settle
    return scope
  })

describe("the daemon in-process: servers that show their markers after start-up", () => {
  it.effect("looks again at each of its looks, and after the last not at all: such a server is then left alone until a spawn of its instance looks", () =>
    withMachine((home) =>
      Effect.gen(function* () {
        const machine = yield* MemoryMachine
        yield* startDaemonLooked(home)
        // One not wanted up appears just after each look (or before the first): the next look stops it, none before.
        for (const look of LOOKS) {
          const late = yield* machine.addForeign({ marker: { home, instance: "late" } })
          yield* advanceTo(look - 1)
          expect(late.status, `not before the look at ${look} ms`).toBeUndefined()
          yield* advanceTo(look)
          yield* until(`stopped at ${look} ms`, Effect.map(stoppedOf("late", late.pid), (stopped) => stopped.length > 0))
          expect((yield* stoppedOf("late", late.pid)).map((envelope) => envelope.at)).toEqual([look])
          expect(late.status).toEqual({ code: 0, signal: null })
        }
        const last = yield* machine.addForeign({ marker: { home, instance: "late" } })
        yield* advanceTo(LOOKS.at(-1)! + 3_000)
        const after = yield* machine.addForeign({ marker: { home, instance: "other" } })
        yield* advance(120_000)
        expect([last.received, after.received]).toEqual([[], []])
        expect((yield* lifecycle("late")).filter((tag) => tag === "ProcessStopped")).toHaveLength(LOOKS.length)
        expect(yield* lifecycle("other")).toEqual([])

        // Its instance asked up: the spawn's own look finds it, and takes it instead of starting a second.
        yield* request("other", {})
        yield* until("adopted", Effect.map(lifecycle("other"), (tags) => tags.includes("ProcessAdopted")))
        expect(yield* lifecycle("other")).toEqual(["ConfigApplied", "StartRequested", "ProcessAdopted"])
        expect(tagged(yield* eventsOf("other"), "ProcessAdopted")[0]!.event.pid).toBe(after.pid)
        expect((yield* running).map((process) => process.pid)).toEqual([last.pid, after.pid])
      })))

  it.effect("stops one of an instance not wanted up at the next look", () =>
    withMachine((home) =>
      Effect.gen(function* () {
        const machine = yield* MemoryMachine
        yield* startDaemonLooked(home)
        yield* advanceTo(1_500)
        const late = yield* machine.addForeign({ marker: { home, instance: "idle" } })
        yield* advanceTo(lookAfter(1_500))
        yield* until("stopped", Effect.map(stoppedOf("idle", late.pid), (stopped) => stopped.length > 0))
        expect(tagged(yield* eventsOf("idle"), "ProcessStopped").map((envelope) => [envelope.at, envelope.event.pid, envelope.event.how])).toEqual([
          [lookAfter(1_500), late.pid, "graceful"]
        ])
        expect(late.received.map((received) => received.signal)).toEqual(["SIGTERM"])
        expect(yield* running).toEqual([])
      })))

  it.effect("stops one of an instance that runs its own server at the next look; its own runs on, tracked and probed", () =>
    withMachine((home) =>
      Effect.gen(function* () {
        const machine = yield* MemoryMachine
        yield* startDaemon(home)
        yield* request("chat", { healthcheck: { interval: "1s" } })
        // Spawned by the supervisor, which is built only once recovery has forked its looks.
        yield* until("spawned", Effect.map(lifecycle("chat"), (tags) => tags.includes("ProcessSpawned")))
        const [own] = yield* running
        yield* advanceTo(1_500)
        const late = yield* machine.addForeign({ marker: { home, instance: "chat" } })
        const look = lookAfter(1_500)
        yield* advanceTo(look)
        yield* until("stopped", Effect.map(stoppedOf("chat", late.pid), (stopped) => stopped.length > 0))
        // Past every later look: its own server is no orphan to any of them.
        yield* advance(60_000)
        const all = yield* eventsOf("chat")
        expect(yield* lifecycle("chat")).toEqual(["ConfigApplied", "StartRequested", "ProcessSpawned", "ProcessStopped"])
        expect(tagged(all, "ProcessStopped").map((envelope) => [envelope.at, envelope.event.pid])).toEqual([[look, late.pid]])
        expect(late.status).toEqual({ code: 0, signal: null })
        expect(own!.received).toEqual([])
        expect(yield* running).toEqual([own])
        expect(yield* stateOf("chat")).toMatchObject({ status: "running", health: "healthy", pid: own!.pid })
        // Probed still, after the stop.
        expect(tagged(all, "HealthProbed").filter((envelope) => envelope.at > look + 1_000).length).toBeGreaterThan(0)
        // Tracked still: its end is seen and recorded as its exit.
        yield* machine.kill(own!.pid)
        yield* until("exited", Effect.map(lifecycle("chat"), (tags) => tags.includes("ProcessExited")))
        expect(tagged(yield* eventsOf("chat"), "ProcessExited").map((envelope) => envelope.event.pid)).toEqual([own!.pid])
      })))

  it.effect("adopts one of an instance wanted up with no server at the next look: its pending restart starts no second", () =>
    withMachine((home) =>
      Effect.gen(function* () {
        const machine = yield* MemoryMachine
        const server = yield* leftRunning(home, { restart_policy: { initial_delay: "10s" } })
        yield* machine.kill(server.pid)
        // The next daemon starts at the same instant: its looks count from there.
        const start = yield* TestClock.currentTimeMillis
        yield* startDaemon(home)
        yield* until("restart scheduled", Effect.map(lifecycle("chat"), (tags) => tags.includes("RestartScheduled")))
        yield* advanceTo(start + 1_500)
        // A child of the dead daemon that execs only now.
        const late = yield* machine.addForeign({ marker: { home, instance: "chat" } })
        const look = start + lookAfter(1_500)
        yield* advanceTo(look)
        yield* until("adopted", Effect.map(lifecycle("chat"), (tags) => tags.includes("ProcessAdopted")))
        // Past the restart's due time, and every look.
        yield* advance(60_000)
        const all = yield* eventsOf("chat")
        expect(yield* lifecycle("chat")).toEqual(["ConfigApplied", "StartRequested", "ProcessSpawned", "ProcessLost", "RestartScheduled", "ProcessAdopted"])
        expect(tagged(all, "ProcessAdopted").map((envelope) => [envelope.at, envelope.event.pid])).toEqual([[look, late.pid]])
        expect(late.received).toEqual([])
        expect(yield* running).toEqual([late])
        expect(yield* stateOf("chat")).toMatchObject({ status: "running", health: "healthy", pid: late.pid, next_restart: null })
      })))
})
