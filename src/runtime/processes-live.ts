import type { ChildProcess } from "node:child_process"
import { Deferred, Effect, Exit, Layer, Option } from "effect"
import type { InstanceConfig } from "../domain/config.js"
import { type CrashPoint, crashPoint } from "./crash-point.js"
import { platform } from "./platform/current.js"
import { type Child, type ExitStatus, type Identity, Processes, pollUntilGone } from "./processes.js"
import { spawnServer, stderrTail } from "./spawn.js"
import { stopProcess } from "./stop.js"

interface Known extends Identity {
  readonly exit: Deferred.Deferred<ExitStatus>
}

/**
 * Ended children kept for a late `awaitExit` (one asked just after the exit must still get the
 * status): more than any caller's delay needs, and a crash loop of days cannot grow it further.
 */
const ENDED_KEPT = 256

/**
 * The OS's processes over spawn.ts, stop.ts and this machine's platform (platform/).
 * One per daemon process: its children are the servers this daemon spawned, and a next daemon
 * sees them as anyone's.
 */
export const ProcessesLive = Layer.sync(Processes, () => {
  const children = new Map<number, Known>()
  const ended: Array<Known> = []

  const watch = (child: ChildProcess, known: Known) => {
    children.set(known.pid, known)
    let done = false
    const end = (code: number | null, signal: string | null) => {
      if (done) return
      done = true
      Deferred.unsafeDone(known.exit, Exit.succeed({ code, signal }))
      ended.push(known)
      while (ended.length > ENDED_KEPT) {
        const oldest = ended.shift()!
        // Its pid may belong to a newer child by now.
        if (children.get(oldest.pid) === oldest) children.delete(oldest.pid)
      }
    }
    child.once("exit", end)
    // It may have ended between the spawn and this listener: Node emits "exit" to no one then.
    if (child.exitCode !== null || child.signalCode !== null) end(child.exitCode, child.signalCode)
  }

  const childOf = (process: Identity) => {
    const known = children.get(process.pid)
    return known !== undefined && known.startTime === process.startTime ? known : undefined
  }

  return Processes.of({
    spawn: Effect.fn("Processes.spawn")(function* (home: string, instance: string, config: InstanceConfig) {
      const spawned = yield* spawnServer(home, instance, config)
      const known: Known = { pid: spawned.pid, startTime: spawned.startTime, exit: yield* Deferred.make<ExitStatus>() }
      watch(spawned.child, known)
      yield* crashPoint("spawned")
      return {
        pid: spawned.pid,
        startTime: spawned.startTime,
        argv: spawned.argv,
        stdout: spawned.stdout,
        stderr: spawned.stderr,
        stderrOffset: spawned.stderrOffset,
        exit: Deferred.await(known.exit)
      } satisfies Child
    }),
    stop: Effect.fn("Processes.stop")((process: Identity, timeoutMs: number) => stopProcess(process.pid, process.startTime, timeoutMs)),
    isAlive: Effect.fn("Processes.isAlive")((process: Identity) => Effect.sync(() => platform.isAlive(process.pid, process.startTime))),
    findMarked: Effect.fn("Processes.findMarked")((home: string) => Effect.sync(() => platform.findMarked(home))),
    awaitExit: Effect.fn("Processes.awaitExit")((process: Identity) => {
      const known = childOf(process)
      return known !== undefined
        ? Effect.map(Deferred.await(known.exit), Option.some)
        : pollUntilGone(Effect.sync(() => platform.isAlive(process.pid, process.startTime)))
    }),
    stderrTail: Effect.fn("Processes.stderrTail")((file: string, offset: number, count: number) => Effect.sync(() => stderrTail(file, offset, count))),
    crashPoint: Effect.fn("Processes.crashPoint")((point: CrashPoint) => crashPoint(point))
  })
})
