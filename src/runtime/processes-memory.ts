import { Clock, Context, Deferred, Effect, Exit, FiberSet, Layer, Option } from "effect"
import { logFiles } from "../config/home.js"
import { buildArgv } from "../domain/argv.js"
import type { InstanceConfig } from "../domain/config.js"
import { redactArgv } from "../domain/redact.js"
import type { CrashPoint } from "./crash-point.js"
import { type Child, type ExitStatus, type Identity, type Marked, Processes, SpawnRefused, type Stopped, pollUntilGone } from "./processes.js"

/** What a fake server does, given per spawn: by default it runs until it is stopped, and stops at once. */
export interface Script {
  /** Refused at spawn, as a preflight or the OS would: nothing runs. */
  readonly refuse?: { readonly reason: string; readonly configError: boolean }
  /** Ends by itself this long after it starts: by `signal`, else with `code` (1 unless given). */
  readonly exitAfter?: { readonly ms: number; readonly code?: number; readonly signal?: string }
  /**
   * What SIGTERM does: "exit" with code 0 after `stopMs`, as a loaded llama-server does (a second
   * SIGTERM meanwhile ends it with code 1, as the real one does); "die" of it at once, as one still
   * loading does; or "ignore" it, as a wedged one does, so that only SIGKILL ends it.
   */
  readonly onSigterm?: "exit" | "die" | "ignore"
  readonly stopMs?: number
  /** Lines it writes to its stderr log as it starts. */
  readonly stderr?: ReadonlyArray<string>
  /**
   * How it answers its health check (prober-memory.ts): "Loading model" for `loadMs` after it
   * starts, then ok; from `hangAfterMs` after it starts, not at all, as a wedged server.
   */
  readonly health?: { readonly loadMs?: number; readonly hangAfterMs?: number }
}

export interface Marker {
  readonly home: string
  readonly instance: string
}

export interface MemoryProcess extends Identity {
  readonly marker: Marker | undefined
  readonly script: Script
  /** When it started, on the Clock. */
  readonly startedAt: number
  /** The signals it was sent while it ran, at their Clock times. */
  readonly received: ReadonlyArray<{ readonly signal: string; readonly at: number }>
  /** How it ended; undefined while it runs. */
  readonly status: ExitStatus | undefined
  readonly exited: Deferred.Deferred<ExitStatus>
}

interface Fake extends MemoryProcess {
  readonly received: Array<{ readonly signal: string; readonly at: number }>
  status: ExitStatus | undefined
  terminating: boolean
}

/**
 * A machine's processes and files in memory, with all timing on Effect's Clock: under TestClock,
 * `TestClock.adjust` runs the servers' lives. It outlives the daemons run on it, as real servers
 * outlive theirs: each daemon gets its own `ProcessesMemory` over the same machine.
 */
export class MemoryMachine extends Context.Tag("llama-orch/MemoryMachine")<
  MemoryMachine,
  {
    /** Scripts the next spawns of an instance, in order; later ones run the default script. */
    readonly script: (instance: string, ...scripts: ReadonlyArray<Script>) => Effect.Effect<void>
    /**
     * A process no daemon here spawned: with a marker, a leftover server of a dead daemon; without
     * one, any program (holding a pid a journal may name). Its pid is given or the next free one.
     */
    readonly addForeign: (options: { readonly marker?: Marker; readonly pid?: number; readonly script?: Script }) => Effect.Effect<MemoryProcess>
    /** Sends a signal (SIGKILL unless given) from outside: whether a process with that pid ran. */
    readonly kill: (pid: number, signal?: string) => Effect.Effect<boolean>
    /** Appends to a file, as a server writing its log would. */
    readonly write: (file: string, text: string) => Effect.Effect<void>
    /** The daemon dies the next time it passes this point (see ProcessesMemory). */
    readonly crashAt: (point: CrashPoint) => Effect.Effect<void>
    /** Waits until the point last armed has been passed. */
    readonly crashed: Effect.Effect<CrashPoint>
    /** Every process with its identity, in the order they started. */
    readonly processes: Effect.Effect<ReadonlyArray<MemoryProcess>>

    // The kernel's side, which ProcessesMemory calls as a program calls the OS.
    readonly start: (options: { readonly marker: Marker | undefined; readonly script: Script; readonly pid?: number; readonly stderr?: string }) => Effect.Effect<MemoryProcess>
    readonly nextScript: (instance: string) => Effect.Effect<Script>
    /** The process with this identity, running or ended. */
    readonly find: (process: Identity) => Effect.Effect<Option.Option<MemoryProcess>>
    readonly isAlive: (process: Identity) => Effect.Effect<boolean>
    readonly signal: (process: Identity, signal: string) => Effect.Effect<void>
    readonly marked: (home: string) => Effect.Effect<ReadonlyArray<Marked>>
    readonly size: (file: string) => Effect.Effect<number>
    readonly read: (file: string) => Effect.Effect<string>
    /** Whether passing this point kills the daemon: once per `crashAt`. */
    readonly hit: (point: CrashPoint) => Effect.Effect<boolean>
  }
>() {
  static readonly layer = Layer.scoped(
    MemoryMachine,
    Effect.gen(function* () {
      // Its servers' timers: they outlive the daemon that spawned them, not the machine.
      const timers = yield* FiberSet.make()
      const byIdentity = new Map<string, Fake>()
      const runningByPid = new Map<number, Fake>()
      const scripts = new Map<string, Array<Script>>()
      const files = new Map<string, string>()
      let nextPid = 4_000
      let serial = 0
      let armed: { readonly point: CrashPoint; readonly hit: Deferred.Deferred<CrashPoint> } | undefined
      let lastArmed: Deferred.Deferred<CrashPoint> | undefined

      const key = (process: Identity) => `${process.pid}/${process.startTime}`
      const running = (process: Identity) => {
        const fake = runningByPid.get(process.pid)
        return fake !== undefined && fake.startTime === process.startTime ? fake : undefined
      }
      const end = (fake: Fake, status: ExitStatus) => {
        if (fake.status !== undefined) return
        fake.status = status
        runningByPid.delete(fake.pid)
        Deferred.unsafeDone(fake.exited, Exit.succeed(status))
      }
      const after = (ms: number, fake: Fake, status: ExitStatus) =>
        ms <= 0 ? Effect.sync(() => end(fake, status)) : FiberSet.run(timers, Effect.delay(Effect.sync(() => end(fake, status)), ms)).pipe(Effect.asVoid)
      const append = (file: string, text: string) => void files.set(file, (files.get(file) ?? "") + text)

      const signal = (fake: Fake, name: string) =>
        Effect.gen(function* () {
          if (fake.status !== undefined) return
          fake.received.push({ signal: name, at: yield* Clock.currentTimeMillis })
          if (name === "SIGCONT") return
          if (name !== "SIGTERM") return end(fake, { code: null, signal: name })
          const onSigterm = fake.script.onSigterm ?? "exit"
          if (onSigterm === "ignore") return
          if (onSigterm === "die") return end(fake, { code: null, signal: "SIGTERM" })
          if (fake.terminating) return end(fake, { code: 1, signal: null })
          fake.terminating = true
          yield* after(fake.script.stopMs ?? 0, fake, { code: 0, signal: null })
        })

      const start = (options: { readonly marker: Marker | undefined; readonly script: Script; readonly pid?: number; readonly stderr?: string }) =>
        Effect.gen(function* () {
          if (options.pid !== undefined && runningByPid.has(options.pid)) return yield* Effect.dieMessage(`pid ${options.pid} is running already`)
          let pid = options.pid
          while (pid === undefined || runningByPid.has(pid)) pid = nextPid++
          const startedAt = yield* Clock.currentTimeMillis
          const fake: Fake = {
            pid,
            startTime: `${startedAt}.${++serial}`,
            startedAt,
            marker: options.marker,
            script: options.script,
            received: [],
            status: undefined,
            terminating: false,
            exited: yield* Deferred.make<ExitStatus>()
          }
          byIdentity.set(key(fake), fake)
          runningByPid.set(pid, fake)
          if (options.stderr !== undefined && options.script.stderr !== undefined) {
            append(options.stderr, options.script.stderr.map((line) => `${line}\n`).join(""))
          }
          const exitAfter = options.script.exitAfter
          if (exitAfter !== undefined) {
            yield* after(exitAfter.ms, fake, exitAfter.signal !== undefined ? { code: null, signal: exitAfter.signal } : { code: exitAfter.code ?? 1, signal: null })
          }
          return fake
        })

      return MemoryMachine.of({
        script: (instance, ...next) => Effect.sync(() => void scripts.set(instance, [...(scripts.get(instance) ?? []), ...next])),
        addForeign: (options) => start({ marker: options.marker, script: options.script ?? {}, ...(options.pid === undefined ? {} : { pid: options.pid }) }),
        kill: (pid, name = "SIGKILL") =>
          Effect.suspend(() => {
            const fake = runningByPid.get(pid)
            return fake === undefined ? Effect.succeed(false) : Effect.as(signal(fake, name), true)
          }),
        write: (file, text) => Effect.sync(() => append(file, text)),
        crashAt: (point) =>
          Effect.map(Deferred.make<CrashPoint>(), (hit) => {
            armed = { point, hit }
            lastArmed = hit
          }),
        crashed: Effect.suspend(() => (lastArmed === undefined ? Effect.dieMessage("no crash point was armed: call crashAt first") : Deferred.await(lastArmed))),
        processes: Effect.sync(() => [...byIdentity.values()]),
        start,
        nextScript: (instance) => Effect.sync(() => scripts.get(instance)?.shift() ?? {}),
        find: (process) => Effect.sync(() => Option.fromNullable(byIdentity.get(key(process)))),
        isAlive: (process) => Effect.sync(() => running(process) !== undefined),
        signal: (process, name) => Effect.suspend(() => {
          const fake = running(process)
          return fake === undefined ? Effect.void : signal(fake, name)
        }),
        marked: (home) =>
          Effect.sync(() =>
            [...runningByPid.values()].flatMap((fake) => (fake.marker?.home === home ? [{ pid: fake.pid, startTime: fake.startTime, instance: fake.marker.instance }] : []))
          ),
        size: (file) => Effect.sync(() => files.get(file)?.length ?? 0),
        read: (file) => Effect.sync(() => files.get(file) ?? ""),
        hit: (point) =>
          Effect.suspend(() => {
            if (armed?.point !== point) return Effect.succeed(false)
            const { hit } = armed
            armed = undefined
            return Effect.as(Deferred.succeed(hit, point), true)
          })
      })
    })
  )
}

/** What spawn.ts reads of a log: at most its last 16 KiB since the run's offset. */
const tailOf = (text: string, offset: number, count: number) =>
  text.slice(Math.max(offset, text.length - 16_384)).split("\n").map((line) => line.trimEnd()).filter((line) => line !== "").slice(-count)

/**
 * One daemon's processes on a MemoryMachine. Its children are the servers it spawned; servers of
 * an earlier daemon on the same machine are foreign to it, watched by polling, as for real.
 *
 * A crash point armed on the machine kills the daemon that passes it: that call, and every later
 * call of this daemon, never returns. Nothing the daemon would do after the point happens (its
 * record above all), while what it did before stays done (the server runs, the SIGTERM was sent),
 * as with the SIGKILL of crash-point.ts. A failure or a defect instead would reach the daemon's
 * error handling, which goes on running; a death must not. The test waits for `crashed`, closes
 * that daemon's scope and starts the next daemon on the same machine.
 */
export const ProcessesMemory = Layer.effect(
  Processes,
  Effect.gen(function* () {
    const machine = yield* MemoryMachine
    const children = new Set<MemoryProcess>()
    let dead = false

    const stillAlive = Effect.suspend(() => (dead ? Effect.never : Effect.void))
    const guarded = <A, E, R>(effect: Effect.Effect<A, E, R>) => stillAlive.pipe(Effect.zipRight(effect), Effect.zipLeft(stillAlive))
    const crashPoint = (point: CrashPoint) =>
      Effect.flatMap(machine.hit(point), (hit) => (hit ? Effect.zipRight(Effect.sync(() => void (dead = true)), Effect.never) : Effect.void))

    return Processes.of({
      spawn: Effect.fn("Processes.spawn")(function* (home: string, instance: string, config: InstanceConfig) {
        const script = yield* machine.nextScript(instance)
        if (script.refuse !== undefined) return yield* new SpawnRefused(script.refuse)
        const logs = logFiles(home, instance)
        const stderrOffset = yield* machine.size(logs.stderr)
        const process = yield* machine.start({ marker: { home, instance }, script, stderr: logs.stderr })
        children.add(process)
        yield* crashPoint("spawned")
        return {
          pid: process.pid,
          startTime: process.startTime,
          argv: redactArgv(buildArgv(instance, config)),
          stdout: logs.stdout,
          stderr: logs.stderr,
          stderrOffset,
          exit: guarded(Deferred.await(process.exited))
        } satisfies Child
      }, guarded),
      stop: Effect.fn("Processes.stop")(function* (process: Identity, timeoutMs: number) {
        const started = yield* Clock.currentTimeMillis
        const found = yield* machine.find(process)
        if (Option.isNone(found) || found.value.status !== undefined) return { how: "graceful", took_ms: 0 } satisfies Stopped
        yield* machine.signal(process, "SIGTERM")
        yield* crashPoint("stop-signalled")
        const went = yield* Effect.timeoutOption(Deferred.await(found.value.exited), timeoutMs)
        if (Option.isNone(went)) yield* machine.signal(process, "SIGKILL")
        return { how: Option.isSome(went) ? "graceful" : "killed", took_ms: (yield* Clock.currentTimeMillis) - started } satisfies Stopped
      }, guarded),
      isAlive: Effect.fn("Processes.isAlive")((process: Identity) => machine.isAlive(process), guarded),
      findMarked: Effect.fn("Processes.findMarked")((home: string) => machine.marked(home), guarded),
      awaitExit: Effect.fn("Processes.awaitExit")(function* (process: Identity) {
        const found = yield* machine.find(process)
        if (Option.isSome(found) && children.has(found.value)) return Option.some(yield* Deferred.await(found.value.exited))
        return yield* pollUntilGone(machine.isAlive(process))
      }, guarded),
      stderrTail: Effect.fn("Processes.stderrTail")((file: string, offset: number, count: number) =>
        Effect.map(machine.read(file), (text) => tailOf(text, offset, count)), guarded),
      crashPoint: Effect.fn("Processes.crashPoint")((point: CrashPoint) => crashPoint(point), guarded)
    })
  })
)
