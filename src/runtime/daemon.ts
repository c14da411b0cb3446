import { Cause, Clock, Effect, Either, FiberMap, Runtime, Schedule, Stream } from "effect"
import { journalDir, logFiles } from "../config/home.js"
import { type Decided, type Input, decide } from "../domain/decide.js"
import type { Event, EventOf } from "../domain/events.js"
import { type InstanceState, type State, fold } from "../domain/instances.js"
import { claim, reconcile } from "../domain/supervise.js"
import { Journal } from "../journal/Journal.js"
import { checkedState, currentState } from "../journal/projection.js"
import { crashPoint } from "./crash-point.js"
import { acquireDaemonLock } from "./lock.js"
import { LOG_CHECK_MS, upkeep } from "./log-rotation.js"
import { type Marked, findMarked, isAlive } from "./proc.js"
import { makeAlarm } from "./alarm.js"
import { makeProbeBatch } from "./probe-batch.js"
import { probeLoop } from "./probe-loop.js"
import { makeProber } from "./prober.js"
import { spawnServer, stderrTail } from "./spawn.js"
import { stopProcess } from "./stop.js"

/** How often a server this daemon did not spawn (adopted) is checked for life. */
export const ADOPTED_POLL_MS = 500

/**
 * When the daemon looks again for marked servers that no one tracks: a child caught between fork
 * and exec when the last daemon died is invisible to the first look until it execs, which takes
 * it milliseconds, seconds on a machine under load. At 1, 2, 4, 8, 16 and 32 s, then no more: a
 * look reads every process's environment, which every 2 s stretched probes (bench probes).
 * Before every spawn the daemon looks too.
 */
const ORPHAN_LOOKS = Schedule.exponential("1 second").pipe(Schedule.intersect(Schedule.recurs(5)))

interface Tracked {
  readonly pid: number
  readonly startTime: string
  readonly since: number
  readonly adopted: boolean
  /**
   * Whether a probe has found it healthy. A server that exits before then did not start, however
   * long it loaded: SpawnFailed, with its stderr, which may show a configuration error.
   */
  ready: boolean
  readonly stderr?: { readonly file: string; readonly offset: number }
  /** How our own child ended, once it has; an adopted process has none. */
  readonly exit?: Promise<{ readonly code: number | null; readonly signal: string | null }>
  stopping: boolean
}

/** How long a stop waits, after the process is gone, for the OS to hand over its exit status. */
const EXIT_STATUS_WAIT_MS = 1_000

/**
 * The single actor (DESIGN.md §2): it alone spawns, stops and watches servers. It folds the
 * journal's tail and reconciles what is asked for with what runs; everything it sees or does
 * becomes an event. Its servers outlive it; the next daemon adopts them.
 */
export const runDaemon = (home: string, version: string) =>
  // Its own scope, inside the journal's: DaemonStopped must be appended before the journal closes.
  Effect.scoped(Effect.gen(function* () {
    // Before the lock and before anything is recorded: a journal with a damaged row stops the
    // daemon with a message naming the row, rather than feed it a pid of "x".
    let state: State = yield* checkedState
    yield* acquireDaemonLock(journalDir(home))
    const journal = yield* Journal
    const runFork = Runtime.runFork(yield* Effect.runtime<never>())
    const writer = yield* makeProbeBatch(journal.append)
    const record = (instance: string | null, event: Event) => Effect.map(writer.append([{ instance, event }]), ([seq]) => seq!)
    /** The decider's events, in one batch: the seq of the last, or of the state decided on if there are none. */
    const recordDecided = (decided: ReadonlyArray<Decided>) =>
      decided.length === 0 ? Effect.succeed(state.seq) : Effect.map(writer.append(decided), (seqs) => seqs.at(-1)!)
    const decideNow = (input: Input) => Effect.flatMap(Clock.currentTimeMillis, (now) => recordDecided(decide(state, input, now)))

    yield* record(null, { _tag: "DaemonStarted", pid: process.pid, version })
    yield* Effect.addFinalizer((exit) =>
      Effect.ignore(record(null, { _tag: "DaemonStopped", reason: exit._tag === "Success" ? "finished" : "stopped by a signal or `orch daemon stop`" }))
    )
    yield* Effect.logInfo(`daemon ${process.pid} supervising ${home}`)

    const daemonScope = yield* Effect.scope
    const tracked = new Map<string, Tracked>()
    /** Instances with an action under way: until its last event comes back through the tail. */
    const busy = new Map<string, number>()

    // ---- probers: one fiber per running server, replaced on restart, removed when it ends --------
    const probers = yield* FiberMap.make<string>()
    const startProbing = (name: string, process: Tracked) => {
      const config = state.instances[name]?.decoded_config ?? null
      if (config === null) return Effect.void
      const record = (event: EventOf<"HealthProbed">) => {
        if (event.result === "ok") process.ready = true
        return writer.add(name, event)
      }
      return FiberMap.run(probers, name, Effect.scoped(Effect.flatMap(makeProber(name, config), (probe) => probeLoop(probe, record, config.healthcheck)))).pipe(
        Effect.asVoid
      )
    }
    const stopProbing = (name: string) => FiberMap.remove(probers, name)

    const onExit = (name: string, process: Tracked, code: number | null, signal: string | null) =>
      Effect.gen(function* () {
        if (tracked.get(name) !== process) return
        tracked.delete(name)
        yield* stopProbing(name)
        if (process.stopping) return
        const now = yield* Clock.currentTimeMillis
        // Its words are read only when they may say why it did not start: it never got ready.
        const stderr = process.ready || process.stderr === undefined ? null : stderrTail(process.stderr.file, process.stderr.offset, 40)
        yield* decideNow({
          _tag: "Exited",
          instance: name,
          pid: process.pid,
          code,
          signal,
          uptime_ms: process.adopted ? null : now - process.since,
          ready: process.ready,
          stderr
        })
        yield* Effect.logInfo(`${name}: pid ${process.pid} exited (${signal ?? `code ${code}`})`)
      })

    const watchChild = (name: string, process: Tracked) =>
      process.exit?.then(({ code, signal }) => runFork(onExit(name, process, code, signal)))

    // Not our child: nobody tells us when it ends, so look (the exit code is not ours to know).
    // Only while this daemon runs: one that ends on a failed journal must not linger watching.
    const watchAdopted = (name: string, process: Tracked) =>
      Effect.forkIn(daemonScope)(
        Effect.gen(function* () {
          while (isAlive(process.pid, process.startTime) && tracked.get(name) === process) yield* Effect.sleep(ADOPTED_POLL_MS)
          yield* onExit(name, process, null, null)
        })
      )

    const adopt = (name: string, pid: number, startTime: string) =>
      Effect.gen(function* () {
        const process: Tracked = { pid, startTime, since: yield* Clock.currentTimeMillis, adopted: true, ready: false, stopping: false }
        tracked.set(name, process)
        yield* crashPoint("adopting")
        const seq = yield* decideNow({ _tag: "Found", instance: name, pid, start_time: startTime, alive: true })
        yield* watchAdopted(name, process)
        yield* startProbing(name, process)
        yield* Effect.logInfo(`${name}: adopted pid ${pid}`)
        return seq
      })

    // ---- crash survival: take over what the last daemon left ---------------------------------
    for (const instance of Object.values(state.instances)) {
      if (instance.pid === null || instance.start_time === null) continue
      if (isAlive(instance.pid, instance.start_time)) yield* adopt(instance.name, instance.pid, instance.start_time)
      else {
        yield* crashPoint("losing")
        yield* decideNow({ _tag: "Found", instance: instance.name, pid: instance.pid, start_time: instance.start_time, alive: false })
      }
    }
    /** A server of this home, found by its markers, that no one tracks: adopted or stopped, and recorded. The seq of that record. */
    const takeOver = (marked: Marked) =>
      Effect.gen(function* () {
        if (claim(state.instances[marked.instance], tracked.has(marked.instance)) === "adopt") {
          return yield* adopt(marked.instance, marked.pid, marked.startTime)
        }
        const stopped = yield* stopProcess(marked.pid, marked.startTime, 5_000)
        yield* Effect.logInfo(`${marked.instance}: stopped unrecorded server pid ${marked.pid}`)
        return yield* record(marked.instance, { _tag: "ProcessStopped", pid: marked.pid, ...stopped })
      })
    /** Marked servers that no one tracks, of instances with no action under way. */
    const untracked = () =>
      findMarked(home).filter((marked) => tracked.get(marked.instance)?.pid !== marked.pid && !busy.has(marked.instance) && isAlive(marked.pid, marked.startTime))

    // Spawned but never journaled (the daemon died in between): found by their markers.
    for (const marked of untracked()) yield* takeOver(marked)

    // Reconcile only on a state that includes what recovery recorded, or it would spawn twice.
    state = yield* currentState

    // ---- actions -----------------------------------------------------------------------------
    const spawnInstance = (instance: InstanceState) =>
      Effect.gen(function* () {
        const config = instance.decoded_config
        if (config === null) {
          return yield* record(instance.name, { _tag: "SpawnFailed", reason: "no valid config was applied: run `orch up` with a config", config_error: true })
        }
        // One may run already, unrecorded: a child of a daemon killed between fork and exec shows
        // its markers only once it execs, maybe after this daemon's first look. A second server
        // would only fail on its port.
        const orphan = findMarked(home).find((marked) => marked.instance === instance.name && isAlive(marked.pid, marked.startTime))
        if (orphan !== undefined) return yield* adopt(instance.name, orphan.pid, orphan.startTime)
        const spawned = yield* Effect.either(spawnServer(home, instance.name, config))
        if (Either.isLeft(spawned)) {
          yield* Effect.logWarning(`${instance.name}: not started: ${spawned.left.reason}`)
          return yield* record(instance.name, { _tag: "SpawnFailed", reason: spawned.left.reason, config_error: spawned.left.configError })
        }
        const { child, pid, startTime, argv, stdout, stderr, stderrOffset } = spawned.right
        const exit = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })))
        const process: Tracked = { pid, startTime, since: yield* Clock.currentTimeMillis, adopted: false, stderr: { file: stderr, offset: stderrOffset }, exit, ready: false, stopping: false }
        tracked.set(instance.name, process)
        watchChild(instance.name, process)
        yield* Effect.logInfo(`${instance.name}: spawned pid ${pid}`)
        yield* crashPoint("spawned")
        const seq = yield* record(instance.name, { _tag: "ProcessSpawned", pid, start_time: startTime, argv, stdout, stderr })
        yield* startProbing(instance.name, process)
        return seq
      })

    const stopInstance = (instance: InstanceState) =>
      Effect.gen(function* () {
        const process = tracked.get(instance.name)
        if (process === undefined) return state.seq
        process.stopping = true
        yield* stopProbing(instance.name)
        const timeout = instance.decoded_config?.stop_timeout ?? 10_000
        const stopped = yield* stopProcess(process.pid, process.startTime, timeout)
        if (tracked.get(instance.name) === process) tracked.delete(instance.name)
        const exit = process.exit === undefined ? undefined : yield* Effect.timeoutOption(Effect.promise(() => process.exit!), EXIT_STATUS_WAIT_MS)
        const status = exit === undefined || exit._tag === "None" ? {} : { code: exit.value.code, signal: exit.value.signal }
        yield* Effect.logInfo(`${instance.name}: stopped pid ${process.pid} (${stopped.how}, ${stopped.took_ms} ms)`)
        const seq = yield* record(instance.name, { _tag: "ProcessStopped", pid: process.pid, ...stopped, ...status })
        yield* crashPoint("stopped")
        return seq
      })

    /** The next restart that falls due wakes the supervisor then. */
    const alarm = yield* makeAlarm
    // The tail and the alarm both start passes: one at a time.
    const onePass = yield* Effect.makeSemaphore(1)
    const reconcileAll: Effect.Effect<void> = onePass.withPermits(1)(Effect.gen(function* () {
      // Whatever it did now on a journal replaced under it would be recorded where no one reads:
      // it acts no more, and its tail, failing on the same check, ends it.
      if (Either.isLeft(yield* Effect.either(journal.stillOnDisk))) return
      const now = yield* Clock.currentTimeMillis
      for (const [name, until] of busy) if (until <= state.seq) busy.delete(name)
      let nextDue = Number.POSITIVE_INFINITY
      for (const instance of Object.values(state.instances)) {
        if (busy.has(instance.name)) continue
        const action = reconcile(instance, now)
        if (action === "none") {
          if (instance.next_restart !== null && instance.pid === null) nextDue = Math.min(nextDue, instance.next_restart.due_at)
          continue
        }
        busy.set(instance.name, Number.POSITIVE_INFINITY)
        const act =
          action === "spawn" ? spawnInstance(instance) : action === "stop" ? stopInstance(instance) : recordDecided(decide(state, { _tag: "Supervise", instance: instance.name }, now))
        yield* Effect.forkDaemon(
          act.pipe(
            Effect.tap((seq) => Effect.sync(() => busy.set(instance.name, seq))),
            Effect.tapErrorCause((cause) => Effect.sync(() => busy.delete(instance.name)).pipe(Effect.zipRight(Effect.logError(cause))))
          )
        )
      }
      yield* alarm.set(nextDue, Effect.suspend(() => reconcileAll))
    }))

    // ---- orphans: a server whose markers the start-up look missed (it had not exec'd yet) -------
    const sweep = onePass.withPermits(1)(Effect.suspend(() =>
      Effect.forEach(untracked(), (marked) =>
        Effect.gen(function* () {
          busy.set(marked.instance, Number.POSITIVE_INFINITY)
          // Until its record comes back through the tail, as for every other action.
          busy.set(marked.instance, yield* takeOver(marked))
        }).pipe(Effect.tapErrorCause((cause) => Effect.sync(() => busy.delete(marked.instance)).pipe(Effect.zipRight(Effect.logError(cause))))),
      { discard: true })
    ))
    yield* Effect.forkScoped(Effect.repeat(Effect.delay(sweep, "1 second"), ORPHAN_LOOKS))

    // ---- logs: rotated by size and marked with their sizes while their servers run ---------------
    const markedSizes = new Map<string, number | undefined>()
    const logUpkeep = Effect.suspend(() => Effect.forEach([...tracked.keys()], (name) => {
      const config = state.instances[name]?.decoded_config ?? null
      if (config === null) return Effect.void
      return Effect.forEach(["stdout", "stderr"] as const, (stream) =>
        Effect.gen(function* () {
          const file = logFiles(home, name)[stream]
          const looked = upkeep(file, config.logs, yield* Clock.currentTimeMillis, markedSizes.get(file))
          markedSizes.set(file, looked.size)
          if (looked.rotated !== undefined) yield* record(name, { _tag: "LogRotated", stream, size: looked.rotated })
        }).pipe(Effect.catchAllCause((cause) => Effect.logWarning(`${name}: could not look after its ${stream} log: ${Cause.pretty(cause)}`))),
        { discard: true })
    }, { discard: true }))
    yield* Effect.forkScoped(Effect.repeat(logUpkeep, Schedule.spaced(LOG_CHECK_MS)))

    // ---- the supervisor: fold the tail, reconcile ----------------------------------------------
    yield* reconcileAll
    yield* Stream.runForEachChunk(journal.tailForFold({ after: state.seq }), (chunk) =>
      Effect.suspend(() => {
        state = fold(chunk, state)
        return reconcileAll
      })
    )
  }))
