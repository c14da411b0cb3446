import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Either, Fiber, Layer, Option, TestClock } from "effect"
import { decodeConfig } from "../../src/domain/lint.js"
import { MemoryMachine, ProcessesMemory } from "../../src/runtime/processes-memory.js"
import { EXIT_POLL_MS, Processes } from "../../src/runtime/processes.js"
import { logFiles } from "../../src/config/home.js"

const HOME = "/srv/orch"
const config = Either.getOrThrow(decodeConfig({ model: { path: "m.gguf" }, server: { port: 8080 }, args: ["--api-key", "s3cret"] }))

/** One daemon over one machine: what most tests need. */
const oneDaemon = Layer.provideMerge(ProcessesMemory, MemoryMachine.layer)
/** A daemon's processes over the machine in context: a second one is the daemon after it. */
const daemon = Effect.map(Layer.build(ProcessesMemory), Context.get(Processes))

const stillRunning = <A, E>(fiber: Fiber.Fiber<A, E>) => Effect.map(Fiber.poll(fiber), Option.isNone)

/**
 * What a fiber ended with, failing at once if it has not: under TestClock a wrong expectation
 * would otherwise wait for the test's timeout.
 */
const finished = <A, E>(fiber: Fiber.Fiber<A, E>) =>
  Effect.zipRight(
    Effect.yieldNow(),
    Effect.flatMap(Fiber.poll(fiber), Option.match({ onNone: () => Effect.dieMessage("still running"), onSome: (exit) => exit }))
  )
/** An effect that should be done by now: its result. */
const now = <A, E>(effect: Effect.Effect<A, E>) => Effect.flatMap(Effect.fork(effect), finished)

const received = (pid: number) =>
  Effect.map(MemoryMachine, (machine) => machine.processes).pipe(
    Effect.flatten,
    Effect.map((all) => all.filter((process) => process.pid === pid).flatMap((process) => process.received))
  )

describe("ProcessesMemory: spawn and exit", () => {
  it.effect("a server runs until its scripted exit, which awaitExit and its exit both see, with the status", () =>
    Effect.gen(function* () {
      const machine = yield* MemoryMachine
      const processes = yield* Processes
      yield* machine.script("a", { exitAfter: { ms: 1_500, code: 3 } })
      const child = yield* processes.spawn(HOME, "a", config)
      expect(child.argv).toEqual(expect.arrayContaining(["--port", "8080", "--alias", "a", "--api-key", "***"]))
      expect(child.argv).not.toContain("s3cret")
      expect([child.stdout, child.stderr]).toEqual([logFiles(HOME, "a").stdout, logFiles(HOME, "a").stderr])
      expect(yield* processes.isAlive(child)).toBe(true)
      expect(yield* processes.findMarked(HOME)).toEqual([{ pid: child.pid, startTime: child.startTime, instance: "a" }])

      const watching = yield* Effect.fork(processes.awaitExit(child))
      yield* TestClock.adjust(1_499)
      expect(yield* stillRunning(watching)).toBe(true)
      expect(yield* processes.isAlive(child)).toBe(true)
      yield* TestClock.adjust(1)
      expect(yield* finished(watching)).toEqual(Option.some({ code: 3, signal: null }))
      expect(yield* now(child.exit)).toEqual({ code: 3, signal: null })
      expect(yield* processes.isAlive(child)).toBe(false)
      expect(yield* processes.findMarked(HOME)).toEqual([])
    }).pipe(Effect.provide(oneDaemon)))

  it.effect("a server that dies of a signal ends with that signal and no code", () =>
    Effect.gen(function* () {
      const machine = yield* MemoryMachine
      const processes = yield* Processes
      yield* machine.script("a", { exitAfter: { ms: 200, signal: "SIGSEGV" } })
      const child = yield* processes.spawn(HOME, "a", config)
      yield* TestClock.adjust(200)
      expect(yield* now(child.exit)).toEqual({ code: null, signal: "SIGSEGV" })
    }).pipe(Effect.provide(oneDaemon)))

  it.effect("a refused spawn starts nothing and carries the reason; the next spawn runs the default script", () =>
    Effect.gen(function* () {
      const machine = yield* MemoryMachine
      const processes = yield* Processes
      const reason = "port 127.0.0.1:8080 is in use by another process"
      yield* machine.script("a", { refuse: { reason, configError: false } })
      const refused = yield* Effect.flip(processes.spawn(HOME, "a", config))
      expect(refused).toMatchObject({ _tag: "SpawnRefused", reason, configError: false })
      expect(yield* machine.processes).toEqual([])
      const child = yield* processes.spawn(HOME, "a", config)
      yield* TestClock.adjust(3_600_000)
      expect(yield* processes.isAlive(child)).toBe(true)
    }).pipe(Effect.provide(oneDaemon)))

  it.effect("stderrTail reads what this run wrote to its log, not what the run before wrote", () =>
    Effect.gen(function* () {
      const machine = yield* MemoryMachine
      const processes = yield* Processes
      yield* machine.script("a", { stderr: ["load_model: failed to open m.gguf", "main: exiting due to model loading error"], exitAfter: { ms: 10 } }, {
        stderr: ["main: server is listening"]
      })
      const first = yield* processes.spawn(HOME, "a", config)
      expect(yield* processes.stderrTail(first.stderr, first.stderrOffset, 40)).toEqual([
        "load_model: failed to open m.gguf",
        "main: exiting due to model loading error"
      ])
      expect(yield* processes.stderrTail(first.stderr, first.stderrOffset, 1)).toEqual(["main: exiting due to model loading error"])
      yield* TestClock.adjust(10)
      const second = yield* processes.spawn(HOME, "a", config)
      yield* machine.write(second.stderr, "srv  update_slots: all slots are idle  \n\n")
      expect(yield* processes.stderrTail(second.stderr, second.stderrOffset, 40)).toEqual(["main: server is listening", "srv  update_slots: all slots are idle"])
    }).pipe(Effect.provide(oneDaemon)))
})

describe("ProcessesMemory: stop", () => {
  it.effect("a server that goes within the timeout is stopped gracefully, in the time it took", () =>
    Effect.gen(function* () {
      const machine = yield* MemoryMachine
      const processes = yield* Processes
      yield* machine.script("a", { stopMs: 800 })
      const child = yield* processes.spawn(HOME, "a", config)
      const stopping = yield* Effect.fork(processes.stop(child, 3_000))
      yield* TestClock.adjust(799)
      expect(yield* stillRunning(stopping)).toBe(true)
      yield* TestClock.adjust(1)
      expect(yield* finished(stopping)).toEqual({ how: "graceful", took_ms: 800 })
      expect(yield* now(child.exit)).toEqual({ code: 0, signal: null })
      expect(yield* received(child.pid)).toEqual([{ signal: "SIGTERM", at: 0 }])
    }).pipe(Effect.provide(oneDaemon)))

  it.effect("a server that ignores SIGTERM is killed when the timeout runs out", () =>
    Effect.gen(function* () {
      const machine = yield* MemoryMachine
      const processes = yield* Processes
      yield* machine.script("a", { onSigterm: "ignore" })
      const child = yield* processes.spawn(HOME, "a", config)
      yield* TestClock.adjust(1_000)
      const stopping = yield* Effect.fork(processes.stop(child, 5_000))
      yield* TestClock.adjust(4_999)
      expect(yield* stillRunning(stopping)).toBe(true)
      expect(yield* processes.isAlive(child)).toBe(true)
      yield* TestClock.adjust(1)
      expect(yield* finished(stopping)).toEqual({ how: "killed", took_ms: 5_000 })
      expect(yield* now(child.exit)).toEqual({ code: null, signal: "SIGKILL" })
      expect(yield* received(child.pid)).toEqual([{ signal: "SIGTERM", at: 1_000 }, { signal: "SIGKILL", at: 6_000 }])
    }).pipe(Effect.provide(oneDaemon)))

  it.effect("a second SIGTERM while it shuts down ends it at once with code 1, as llama-server does", () =>
    Effect.gen(function* () {
      const machine = yield* MemoryMachine
      const processes = yield* Processes
      yield* machine.script("a", { stopMs: 2_000 })
      const child = yield* processes.spawn(HOME, "a", config)
      yield* machine.kill(child.pid, "SIGTERM")
      yield* TestClock.adjust(500)
      expect(yield* processes.isAlive(child)).toBe(true)
      yield* machine.kill(child.pid, "SIGTERM")
      expect(yield* now(child.exit)).toEqual({ code: 1, signal: null })
    }).pipe(Effect.provide(oneDaemon)))

  it.effect("stopping a process that is gone, or whose pid another process now has, signals nothing", () =>
    Effect.gen(function* () {
      const machine = yield* MemoryMachine
      const processes = yield* Processes
      const child = yield* processes.spawn(HOME, "a", config)
      expect(yield* machine.kill(child.pid)).toBe(true)
      expect(yield* processes.stop(child, 1_000)).toEqual({ how: "graceful", took_ms: 0 })
      const reuser = yield* machine.addForeign({ pid: child.pid })
      expect(reuser.startTime).not.toBe(child.startTime)
      expect(yield* processes.stop(child, 1_000)).toEqual({ how: "graceful", took_ms: 0 })
      expect(yield* processes.isAlive(reuser)).toBe(true)
      expect(reuser.received).toEqual([])
      expect(yield* processes.isAlive(child)).toBe(false)
    }).pipe(Effect.provide(oneDaemon)))
})

describe("ProcessesMemory: servers this daemon did not spawn", () => {
  it.effect("findMarked sees a dead daemon's server of this home only; awaitExit sees it end at the next look, with no status", () =>
    Effect.gen(function* () {
      const machine = yield* MemoryMachine
      const processes = yield* Processes
      const leftover = yield* machine.addForeign({ marker: { home: HOME, instance: "b" } })
      yield* machine.addForeign({ marker: { home: "/srv/other", instance: "b" } })
      yield* machine.addForeign({})
      expect(yield* processes.findMarked(HOME)).toEqual([{ pid: leftover.pid, startTime: leftover.startTime, instance: "b" }])

      const watching = yield* Effect.fork(processes.awaitExit(leftover))
      yield* TestClock.adjust(1_200)
      yield* machine.kill(leftover.pid)
      expect(yield* processes.isAlive(leftover)).toBe(false)
      yield* TestClock.adjust(3 * EXIT_POLL_MS - 1_200 - 1)
      expect(yield* stillRunning(watching)).toBe(true)
      yield* TestClock.adjust(1)
      expect(yield* finished(watching)).toEqual(Option.none())
      expect(yield* processes.findMarked(HOME)).toEqual([])
    }).pipe(Effect.provide(oneDaemon)))

  it.scoped("the next daemon on the same machine finds the last one's servers and can only poll them", () =>
    Effect.gen(function* () {
      const machine = yield* MemoryMachine
      const first = yield* daemon
      const child = yield* first.spawn(HOME, "a", config)
      const next = yield* daemon
      expect(yield* next.findMarked(HOME)).toEqual([{ pid: child.pid, startTime: child.startTime, instance: "a" }])
      const byParent = yield* Effect.fork(first.awaitExit(child))
      const byNext = yield* Effect.fork(next.awaitExit(child))
      yield* TestClock.adjust(100)
      yield* machine.kill(child.pid, "SIGTERM")
      expect(yield* finished(byParent)).toEqual(Option.some({ code: 0, signal: null }))
      expect(yield* stillRunning(byNext)).toBe(true)
      yield* TestClock.adjust(EXIT_POLL_MS - 100)
      expect(yield* finished(byNext)).toEqual(Option.none())
    }).pipe(Effect.provide(MemoryMachine.layer)))
})

describe("ProcessesMemory: a daemon dying at a crash point", () => {
  it.scoped("spawned: the spawn never returns, the server runs on, and the next daemon finds it", () =>
    Effect.gen(function* () {
      const machine = yield* MemoryMachine
      const first = yield* daemon
      yield* machine.crashAt("spawned")
      const spawning = yield* Effect.fork(first.spawn(HOME, "a", config))
      expect(yield* now(machine.crashed)).toBe("spawned")
      yield* TestClock.adjust(60_000)
      expect(yield* stillRunning(spawning)).toBe(true)
      // Dead: nothing it is asked afterwards comes back either.
      const asked = yield* Effect.fork(first.findMarked(HOME))
      yield* TestClock.adjust(1_000)
      expect(yield* stillRunning(asked)).toBe(true)

      const next = yield* daemon
      const [orphan] = yield* next.findMarked(HOME)
      expect(orphan).toMatchObject({ instance: "a" })
      expect(yield* next.isAlive(orphan!)).toBe(true)
      // Armed once: the next daemon passes the same point.
      const child = yield* next.spawn(HOME, "b", config)
      expect(yield* next.isAlive(child)).toBe(true)
    }).pipe(Effect.provide(MemoryMachine.layer)))

  it.scoped("stop-signalled: the SIGTERM was sent and the server goes by itself, but no SIGKILL ever follows", () =>
    Effect.gen(function* () {
      const machine = yield* MemoryMachine
      const first = yield* daemon
      yield* machine.script("a", { stopMs: 2_000 })
      const child = yield* first.spawn(HOME, "a", config)
      yield* machine.crashAt("stop-signalled")
      const stopping = yield* Effect.fork(first.stop(child, 10_000))
      expect(yield* now(machine.crashed)).toBe("stop-signalled")
      const next = yield* daemon
      yield* TestClock.adjust(1_999)
      expect(yield* next.isAlive(child)).toBe(true)
      yield* TestClock.adjust(20_000)
      expect(yield* next.isAlive(child)).toBe(false)
      expect(yield* stillRunning(stopping)).toBe(true)
      expect(yield* received(child.pid)).toEqual([{ signal: "SIGTERM", at: 0 }])
    }).pipe(Effect.provide(MemoryMachine.layer)))

  it.scoped("the daemon's own points: only the armed one kills it, and only once", () =>
    Effect.gen(function* () {
      const machine = yield* MemoryMachine
      const first = yield* daemon
      yield* machine.crashAt("adopting")
      yield* first.crashPoint("losing")
      yield* first.crashPoint("stopped")
      const adopting = yield* Effect.fork(first.crashPoint("adopting"))
      expect(yield* now(machine.crashed)).toBe("adopting")
      yield* TestClock.adjust(60_000)
      expect(yield* stillRunning(adopting)).toBe(true)
      const next = yield* daemon
      yield* next.crashPoint("adopting")
    }).pipe(Effect.provide(MemoryMachine.layer)))
})
