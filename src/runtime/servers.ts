import { Clock, Context, Effect, Either, FiberMap, Layer, Option } from "effect"
import type { InstanceState } from "../domain/instances.js"
import { claim } from "../domain/supervise.js"
import { DaemonState, type Tracked } from "./daemon-state.js"
import { Probers } from "./probers.js"
import { type ExitStatus, type Marked, Processes } from "./processes.js"

/** How long a stop waits, after the process is gone, for the OS to hand over its exit status. */
const EXIT_STATUS_WAIT_MS = 1_000

const make = Effect.gen(function* () {
  const daemon = yield* DaemonState
  const probers = yield* Probers
  const processes = yield* Processes
  const { home, tracked, busy, folded, record, decideNow } = daemon

  const onExit = Effect.fn("Servers.onExit")(
    function* (name: string, process: Tracked, status: ExitStatus) {
      if (tracked.get(name) !== process) return
      tracked.delete(name)
      yield* probers.stop(name)
      if (process.stopping) return
      const now = yield* Clock.currentTimeMillis
      // Its words are read only when they may say why it did not start: it never got ready.
      const stderr = process.ready || process.stderr === undefined ? null : yield* processes.stderrTail(process.stderr.file, process.stderr.offset, 40)
      yield* decideNow({
        _tag: "Exited",
        instance: name,
        pid: process.pid,
        code: status.code,
        signal: status.signal,
        uptime_ms: process.adopted ? null : now - process.since,
        ready: process.ready,
        stderr
      })
      yield* Effect.logInfo(`pid ${process.pid} exited (${status.signal ?? `code ${status.code}`})`)
    },
    // Once seen, an exit is recorded whole: a stop that interrupts the watcher waits for it.
    Effect.uninterruptible,
    (effect, name) => Effect.annotateLogs(effect, { instance: name })
  )

  /**
   * One watcher per tracked server, replaced with it: a stop interrupts it, and only an exit it
   * sees is recorded as one. An adopted server's exit status is not ours to know.
   */
  const watchers = yield* FiberMap.make<string>()
  const watch = (name: string, process: Tracked) =>
    FiberMap.run(watchers, name, Effect.flatMap(processes.awaitExit(process), (status) =>
      onExit(name, process, Option.getOrElse(status, () => ({ code: null, signal: null })))
    ))

  /** Takes over a live server of the instance that this daemon did not spawn. The seq of its record. */
  const adopt = Effect.fn("Servers.adopt")(
    function* (name: string, pid: number, startTime: string) {
      const process: Tracked = { pid, startTime, since: yield* Clock.currentTimeMillis, adopted: true, ready: false, stopping: false }
      tracked.set(name, process)
      yield* processes.crashPoint("adopting")
      const seq = yield* decideNow({ _tag: "Found", instance: name, pid, start_time: startTime, alive: true })
      yield* watch(name, process)
      yield* probers.start(name, process)
      yield* Effect.logInfo(`adopted pid ${pid}`)
      return seq
    },
    (effect, name) => Effect.annotateLogs(effect, { instance: name })
  )

  /** A server of this home, found by its markers, that no one tracks: adopted or stopped, and recorded. The seq of that record. */
  const takeOver = Effect.fn("Servers.takeOver")(
    function* (marked: Marked) {
      if (claim(folded.state.instances[marked.instance], tracked.has(marked.instance)) === "adopt") {
        return yield* adopt(marked.instance, marked.pid, marked.startTime)
      }
      const stopped = yield* processes.stop(marked, 5_000)
      yield* Effect.logInfo(`stopped unrecorded server pid ${marked.pid}`)
      return yield* record(marked.instance, { _tag: "ProcessStopped", pid: marked.pid, ...stopped })
    },
    (effect, marked) => Effect.annotateLogs(effect, { instance: marked.instance })
  )

  /** Marked servers that no one tracks, of instances with no action under way. */
  const untracked = Effect.map(processes.findMarked(home), (found) =>
    found.filter((marked) => tracked.get(marked.instance)?.pid !== marked.pid && !busy.has(marked.instance))
  )

  const spawn = Effect.fn("Servers.spawn")(
    function* (instance: InstanceState) {
      const config = instance.decoded_config
      if (config === null) {
        return yield* record(instance.name, { _tag: "SpawnFailed", reason: "no valid config was applied: run `orch up` with a config", config_error: true })
      }
      // One may run already, unrecorded: a child of a daemon killed between fork and exec shows
      // its markers only once it execs, maybe after this daemon's first look. A second server
      // would only fail on its port.
      const orphan = (yield* processes.findMarked(home)).find((marked) => marked.instance === instance.name)
      if (orphan !== undefined) return yield* adopt(instance.name, orphan.pid, orphan.startTime)
      const spawned = yield* Effect.either(processes.spawn(home, instance.name, config))
      if (Either.isLeft(spawned)) {
        yield* Effect.logWarning(`not started: ${spawned.left.reason}`)
        return yield* record(instance.name, { _tag: "SpawnFailed", reason: spawned.left.reason, config_error: spawned.left.configError })
      }
      const { pid, startTime, argv, stdout, stderr, stderrOffset, exit } = spawned.right
      const process: Tracked = { pid, startTime, since: yield* Clock.currentTimeMillis, adopted: false, stderr: { file: stderr, offset: stderrOffset }, exit, ready: false, stopping: false }
      tracked.set(instance.name, process)
      yield* watch(instance.name, process)
      yield* Effect.logInfo(`spawned pid ${pid}`)
      const seq = yield* record(instance.name, { _tag: "ProcessSpawned", pid, start_time: startTime, argv, stdout, stderr })
      yield* probers.start(instance.name, process)
      return seq
    },
    (effect, instance) => Effect.annotateLogs(effect, { instance: instance.name })
  )

  const stop = Effect.fn("Servers.stop")(
    function* (instance: InstanceState) {
      const process = tracked.get(instance.name)
      if (process === undefined) return folded.state.seq
      process.stopping = true
      yield* probers.stop(instance.name)
      const timeout = instance.decoded_config?.stop_timeout ?? 10_000
      const stopped = yield* processes.stop(process, timeout)
      if (tracked.get(instance.name) === process) {
        tracked.delete(instance.name)
        yield* FiberMap.remove(watchers, instance.name)
      }
      const exit = process.exit === undefined ? Option.none() : yield* Effect.timeoutOption(process.exit, EXIT_STATUS_WAIT_MS)
      const status = Option.match(exit, { onNone: () => ({}), onSome: ({ code, signal }) => ({ code, signal }) })
      yield* Effect.logInfo(`stopped pid ${process.pid} (${stopped.how}, ${stopped.took_ms} ms)`)
      const seq = yield* record(instance.name, { _tag: "ProcessStopped", pid: process.pid, ...stopped, ...status })
      yield* processes.crashPoint("stopped")
      return seq
    },
    (effect, instance) => Effect.annotateLogs(effect, { instance: instance.name })
  )

  return { adopt, takeOver, untracked, spawn, stop }
})

/**
 * The daemon's hands (DESIGN.md §2): it alone spawns, adopts and stops servers and watches them
 * end; each action returns the seq of its last record, which the supervisor waits to see come
 * back through the tail.
 */
export class Servers extends Context.Tag("llama-orch/Servers")<Servers, Effect.Effect.Success<typeof make>>() {}

export const ServersLive = Layer.scoped(Servers, make)
