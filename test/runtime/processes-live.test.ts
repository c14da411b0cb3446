import * as fs from "node:fs"
import { afterEach, describe, expect, it } from "@effect/vitest"
import { Context, Effect, Either, Fiber, Layer, Option } from "effect"
import { decodeConfig } from "../../src/domain/lint.js"
import { platform } from "../../src/runtime/platform/current.js"
import { ProcessesLive } from "../../src/runtime/processes-live.js"
import { type Child, EXIT_POLL_MS, Processes } from "../../src/runtime/processes.js"
import { simHome } from "../support/daemon.js"
import { freePort, listen } from "../support/net.js"
import { SIM, healthIs } from "../support/sim.js"

const { startTimeOf } = platform

/** Every server a test spawned dies after it, by pid and process group, whatever the test did. */
const spawned: Array<number> = []
afterEach(() => {
  for (const pid of spawned.splice(0)) {
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, "SIGKILL")
      } catch {
        // gone already
      }
    }
  }
})

const simConfig = (port: number, args: ReadonlyArray<string> = []) =>
  Either.getOrThrow(decodeConfig({ model: { path: "tiny.gguf" }, server: { port }, binary: [process.execPath, SIM], args: ["--sim-load-ms", "50", ...args] }))

/** A daemon's live processes: each build is one daemon, with its own children. */
const daemon = Effect.map(Layer.build(ProcessesLive), Context.get(Processes))

const spawnSim = (processes: Context.Tag.Service<Processes>, home: string, port: number, args?: ReadonlyArray<string>) =>
  Effect.tap(processes.spawn(home, "a", simConfig(port, args)), (child) => Effect.sync(() => void spawned.push(child.pid)))

/** Ready: the simulator answers 200 once loaded, with its SIGTERM handling in place. */
const ready = (port: number) => Effect.promise(() => healthIs(port, 200))

/** Its exit, within a bound: a server that never ends fails the test instead of hanging it. */
const exitOf = (child: Child) => Effect.timeoutFail(child.exit, { duration: "5 seconds", onTimeout: () => new Error(`pid ${child.pid} did not end`) })

const processGroup = (pid: number) => {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2])
}

describe("ProcessesLive, on the simulator", () => {
  it.scopedLive("spawns a server in its own process group with its markers, and sees it end when killed", () =>
    Effect.gen(function* () {
      const processes = yield* daemon
      const home = simHome()
      const port = yield* Effect.promise(freePort)
      const child = yield* spawnSim(processes, home, port)
      expect(child.startTime).toBe(startTimeOf(child.pid))
      expect(child.argv).toEqual([process.execPath, SIM, "--host", "127.0.0.1", "--port", String(port), "-m", "tiny.gguf", "--alias", "a", "--sim-load-ms", "50"])
      expect(processGroup(child.pid)).toBe(child.pid)
      expect(yield* processes.isAlive(child)).toBe(true)
      expect(yield* processes.findMarked(home)).toEqual([{ pid: child.pid, startTime: child.startTime, instance: "a" }])
      yield* ready(port)

      process.kill(child.pid, "SIGKILL")
      expect(yield* exitOf(child)).toEqual({ code: null, signal: "SIGKILL" })
      // Asked after the end, a child's status is still known.
      expect(yield* processes.awaitExit(child)).toEqual(Option.some({ code: null, signal: "SIGKILL" }))
      expect(yield* processes.isAlive(child)).toBe(false)
      expect(yield* processes.findMarked(home)).toEqual([])
    }))

  it.scopedLive("stops a server gracefully with SIGTERM, and sees its exit status", () =>
    Effect.gen(function* () {
      const processes = yield* daemon
      const port = yield* Effect.promise(freePort)
      const child = yield* spawnSim(processes, simHome(), port)
      yield* ready(port)
      const stopped = yield* processes.stop(child, 3_000)
      expect(stopped.how).toBe("graceful")
      expect(stopped.took_ms).toBeLessThan(3_000)
      expect(yield* exitOf(child)).toEqual({ code: 0, signal: null })
      expect(yield* processes.isAlive(child)).toBe(false)
    }))

  it.scopedLive("kills a server that ignores SIGTERM once the timeout has run out", () =>
    Effect.gen(function* () {
      const processes = yield* daemon
      const port = yield* Effect.promise(freePort)
      const child = yield* spawnSim(processes, simHome(), port, ["--sim-ignore-sigterm"])
      yield* ready(port)
      const stopped = yield* processes.stop(child, 300)
      expect(stopped.how).toBe("killed")
      expect(stopped.took_ms).toBeGreaterThanOrEqual(300)
      expect(stopped.took_ms).toBeLessThan(3_000)
      expect(yield* exitOf(child)).toEqual({ code: null, signal: "SIGKILL" })
      expect(yield* processes.isAlive(child)).toBe(false)
    }))

  it.scopedLive("a next daemon finds the server by its markers and sees it end by looking, without a status", () =>
    Effect.gen(function* () {
      const first = yield* daemon
      const home = simHome()
      const port = yield* Effect.promise(freePort)
      const child = yield* spawnSim(first, home, port)
      const next = yield* daemon
      expect(yield* next.findMarked(home)).toEqual([{ pid: child.pid, startTime: child.startTime, instance: "a" }])
      const watching = yield* Effect.fork(next.awaitExit(child))
      yield* ready(port)
      const killedAt = Date.now()
      process.kill(child.pid, "SIGKILL")
      const seen = yield* Effect.timeoutFail(Fiber.join(watching), { duration: "5 seconds", onTimeout: () => new Error("the end was not seen") })
      expect(seen).toEqual(Option.none())
      expect(Date.now() - killedAt).toBeLessThan(EXIT_POLL_MS + 1_000)
      // Its parent saw the real status meanwhile.
      expect(yield* first.awaitExit(child)).toEqual(Option.some({ code: null, signal: "SIGKILL" }))
    }))

  it.scopedLive("refuses a spawn on a port in use, starting nothing", () =>
    Effect.gen(function* () {
      const processes = yield* daemon
      const home = simHome()
      const port = yield* Effect.promise(() => listen())
      const refused = yield* Effect.flip(processes.spawn(home, "a", simConfig(port)))
      expect(refused).toMatchObject({ _tag: "SpawnRefused", reason: `port 127.0.0.1:${port} is in use by another process`, configError: false })
      expect(yield* processes.findMarked(home)).toEqual([])
    }))

  it.scopedLive("reads the stderr a run wrote before it crashed", () =>
    Effect.gen(function* () {
      const processes = yield* daemon
      const port = yield* Effect.promise(freePort)
      const child = yield* spawnSim(processes, simHome(), port, ["--sim-crash-after-ms", "300", "--sim-crash-code", "3"])
      expect(yield* exitOf(child)).toEqual({ code: 3, signal: null })
      const tail = yield* processes.stderrTail(child.stderr, child.stderrOffset, 40)
      expect(tail.at(-1)).toBe("simulator: crashing as asked (--sim-crash-after-ms)")
    }))
})
