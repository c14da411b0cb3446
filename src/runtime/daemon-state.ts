import { Clock, Context, Deferred, Effect, Layer } from "effect"
import { journalDir } from "../config/home.js"
import { type Decided, type Input, decide } from "../domain/decide.js"
import type { Event } from "../domain/events.js"
import type { State } from "../domain/instances.js"
import type { BadEvent, JournalReplaced, JournalUnavailable } from "../journal/errors.js"
import { Journal } from "../journal/Journal.js"
import { checkedState } from "../journal/projection.js"
import { acquireDaemonLock } from "./lock.js"
import { makeFeed } from "./feed.js"
import { makeMetrics } from "./metrics.js"
import { makeProbeBatch } from "./probe-batch.js"
import type { ExitStatus, Identity } from "./processes.js"

/** A server the daemon watches: one it spawned, or one it adopted from a daemon before it. */
export interface Tracked extends Identity {
  readonly since: number
  readonly adopted: boolean
  /**
   * Whether a probe has found it healthy. A server that exits before then did not start, however
   * long it loaded: SpawnFailed, with its stderr, which may show a configuration error.
   */
  ready: boolean
  readonly stderr?: { readonly file: string; readonly offset: number }
  /** How our own child ended, once it has; an adopted process has none. */
  readonly exit?: Effect.Effect<ExitStatus>
  stopping: boolean
}

const make = (home: string, version: string) =>
  Effect.gen(function* () {
    // Before the lock and before anything is recorded: a journal with a damaged row stops the
    // daemon with a message naming the row, rather than feed it a pid of "x".
    const folded: { state: State } = { state: yield* checkedState }
    yield* acquireDaemonLock(journalDir(home))
    const journal = yield* Journal
    const metrics = makeMetrics()
    const timedAppend: typeof journal.append = (events) =>
      Effect.gen(function* () {
        const started = performance.now()
        const seqs = yield* journal.append(events)
        metrics.observeAppend((performance.now() - started) / 1000)
        return seqs
      })
    const writer = yield* makeProbeBatch(timedAppend)
    const record = (instance: string | null, event: Event) => Effect.map(writer.append([{ instance, event }]), ([seq]) => seq!)
    /** The decider's events, in one batch: the seq of the last, or of the state decided on if there are none. */
    const recordDecided = (decided: ReadonlyArray<Decided>) =>
      decided.length === 0 ? Effect.succeed(folded.state.seq) : Effect.map(writer.append(decided), (seqs) => seqs.at(-1)!)
    const decideNow = (input: Input) => Effect.flatMap(Clock.currentTimeMillis, (now) => recordDecided(decide(folded.state, input, now)))

    yield* record(null, { _tag: "DaemonStarted", pid: process.pid, version })
    yield* Effect.addFinalizer((exit) =>
      Effect.ignore(record(null, { _tag: "DaemonStopped", reason: exit._tag === "Success" ? "finished" : "stopped by a signal or `orch daemon stop`" }))
    )
    yield* Effect.logInfo(`daemon ${process.pid} supervising ${home}`)

    return {
      home,
      version,
      journal,
      /** The journal folded as far as the supervisor has read it: what every part acts on. */
      folded,
      /** Every chunk the supervisor folds, for readers inside the daemon (the API's event streams). */
      feed: yield* makeFeed,
      /** What /metrics shows; fed by the supervisor's fold and the daemon's appends. */
      metrics,
      /** How far behind the journal the fold ran at its last chunk: its newest event's age then (s). */
      tailLag: { seconds: 0 },
      tracked: new Map<string, Tracked>(),
      /** Instances with an action under way: until its last event comes back through the tail. */
      busy: new Map<string, number>(),
      record,
      recordDecided,
      decideNow,
      recordProbe: writer.add,
      recordServed: writer.addServed,
      /** Supervisor passes and looks for orphans: one at a time. */
      onePass: yield* Effect.makeSemaphore(1),
      /** How the daemon ends: its tail ends, which it does only by failing (a journal replaced under it, a damaged row). */
      ended: yield* Deferred.make<void, BadEvent | JournalUnavailable | JournalReplaced>()
    }
  })

/**
 * What the daemon's parts share (DESIGN.md §2), and the daemon's life in the journal: its lock,
 * DaemonStarted, and DaemonStopped once every part has stopped (its finalizer runs last).
 */
export class DaemonState extends Context.Tag("llama-orch/DaemonState")<DaemonState, Effect.Effect.Success<ReturnType<typeof make>>>() {
  static readonly layer = (home: string, version: string) => Layer.scoped(DaemonState, make(home, version))
}
