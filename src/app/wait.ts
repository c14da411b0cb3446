import { Chunk, Clock, Effect, Option, Stream } from "effect"
import { journalDir } from "../config/home.js"
import type { Envelope } from "../domain/events.js"
import { type InstanceState, fold } from "../domain/instances.js"
import type { Outcome } from "../domain/outcome.js"
import { Journal } from "../journal/Journal.js"
import { currentState } from "../journal/projection.js"
import { runningDaemon } from "../runtime/lock.js"
import { platform } from "../runtime/platform/current.js"
import { runningServers } from "../runtime/running-servers.js"

/** What `up` waits beyond the longest start period before it gives up. */
const WAIT_MARGIN_MS = 30_000

/**
 * How often the waiting looks at what the journal does not say: the deadline, the daemon, and
 * processes that contradict it. The journal's own news arrives through its tail, at once.
 */
const CHECK_MS = 100

/** What happens while waiting, as it happens, for a door to show. */
export type Progress =
  /** An event of an instance waited for; a probe only when its result changed. */
  | { readonly _tag: "Event"; readonly name: string; readonly envelope: Envelope }
  | { readonly _tag: "Done"; readonly name: string; readonly ok: boolean; readonly text: string }
  /**
   * Not done in time, or the daemon is gone; `disputed` where the journal says done and the
   * processes say otherwise.
   */
  | { readonly _tag: "NotDone"; readonly name: string; readonly why: "timeout" | "daemon gone"; readonly timeoutMs: number; readonly disputed: string | undefined }

interface Recorded {
  readonly instance: string
  readonly pid: number
  readonly startTime: string
}

/**
 * What the processes themselves say against the journal's word that an instance is done, if
 * anything: a journal may say stopped or running where it is not so (its WAL deleted under the
 * daemon, which then recorded where no one reads, and the new one knows nothing of its servers).
 * Running: its pid still runs. Stopped: none of the pids the journal gave it (`recorded`) nor
 * any server marked as this instance's runs.
 */
const contradiction = (home: string, instance: InstanceState, recorded: ReadonlyArray<Recorded>): string | undefined => {
  if (instance.pid !== null) {
    return instance.start_time === null || platform.isAlive(instance.pid, instance.start_time) ? undefined : `its pid ${instance.pid} does not run`
  }
  const running = runningServers(home, recorded).get(instance.name) ?? []
  return running.length === 0 ? undefined : running.length === 1 ? `pid ${running[0]} still runs` : `pids ${running.join(", ")} still run`
}

/**
 * Follows the journal's tail from `after`, reporting what happens to each instance, until
 * `outcome` says every one is done, the timeout (seconds; by default the longest start period and
 * a margin) runs out, or the daemon is gone. `ok`: every one done and well; `disputed`: some
 * instance the journal calls done while the processes say otherwise.
 */
export const waitFor = <E, R>(
  home: string,
  names: ReadonlyArray<string>,
  after: number,
  timeout: Option.Option<number>,
  outcome: (instance: InstanceState, now: number) => Outcome,
  report: (progress: Progress) => Effect.Effect<void, E, R>
) =>
  Effect.gen(function* () {
    const journal = yield* Journal
    let state = yield* currentState
    // Every server the journal gives each instance while we wait: a stop is done when all are gone.
    const recorded = new Map(names.map((name) => [name, new Map<number, Recorded>()]))
    const remember = () => {
      for (const [name, pids] of recorded) {
        const instance = state.instances[name]
        if (instance !== undefined && instance.pid !== null && instance.start_time !== null) pids.set(instance.pid, { instance: name, pid: instance.pid, startTime: instance.start_time })
      }
    }
    remember()
    // A model may take minutes to load: by default wait as long as its start period allows.
    const timeoutMs = Option.match(timeout, {
      onSome: (seconds) => seconds * 1000,
      onNone: () => Math.max(0, ...names.map((name) => state.instances[name]?.start_period_ms ?? 0)) + WAIT_MARGIN_MS
    })
    const deadline = (yield* Clock.currentTimeMillis) + timeoutMs
    const pending = new Set(names)
    /** Done by the journal's word, which the processes contradict: not reported done while so. */
    const disputed = new Map<string, string>()
    let ok = true
    // Probes come every interval: report one only when its result changes.
    const lastProbe = new Map<string, string>()

    const take = (fresh: Chunk.Chunk<Envelope>) =>
      Effect.gen(function* () {
        for (const envelope of fresh) {
          const name = envelope.instance
          if (name === null || !pending.has(name)) continue
          if (envelope.event._tag === "HealthProbed") {
            if (lastProbe.get(name) === envelope.event.result) continue
            lastProbe.set(name, envelope.event.result)
          }
          yield* report({ _tag: "Event", name, envelope })
        }
        // The state read at the start may already hold the first of them.
        state = fold(Chunk.filter(fresh, (envelope) => envelope.seq > state.seq), state)
        remember()
      })

    /** Reports what is done; false once nothing is left to wait for. */
    const check = Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      for (const name of [...pending]) {
        const instance = state.instances[name]
        if (instance === undefined) continue
        const result = outcome(instance, now)
        if (!result.done) continue
        const against = result.ok ? contradiction(home, instance, [...recorded.get(name)!.values()]) : undefined
        if (against !== undefined) {
          disputed.set(name, `the journal says ${result.text}, but ${against}`)
          continue
        }
        disputed.delete(name)
        pending.delete(name)
        ok &&= result.ok
        yield* report({ _tag: "Done", name, ok: result.ok, text: result.text })
      }
      if (pending.size === 0) return false
      const daemonGone = now < deadline && runningDaemon(journalDir(home)) === undefined
      if (now < deadline && !daemonGone) return true
      for (const name of pending) yield* report({ _tag: "NotDone", name, why: daemonGone ? "daemon gone" : "timeout", timeoutMs, disputed: disputed.get(name) })
      ok = false
      return false
    })

    const news = Stream.merge(
      journal.tail({ after }).pipe(Stream.chunks, Stream.filter(Chunk.isNonEmpty), Stream.map(Option.some)),
      Stream.tick(CHECK_MS).pipe(Stream.as(Option.none<Chunk.Chunk<Envelope>>()))
    )
    yield* Stream.runForEachWhile(news, (fresh) => Effect.zipRight(Option.isSome(fresh) ? take(fresh.value) : Effect.void, check))
    return { ok, disputed: disputed.size > 0 }
  })
