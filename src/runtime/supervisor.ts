import { Chunk, Clock, Effect, Either, Layer, Option, PubSub, Stream } from "effect"
import { decide } from "../domain/decide.js"
import { type State, fold } from "../domain/instances.js"
import { reconcile } from "../domain/supervise.js"
import { makeAlarm } from "./alarm.js"
import { DaemonState } from "./daemon-state.js"
import { Servers } from "./servers.js"

const make = Effect.gen(function* () {
  const daemon = yield* DaemonState
  const servers = yield* Servers
  const { busy, folded, journal } = daemon

  /** What the restart policy says of a server that exited or turned unhealthy: recorded, its seq. */
  const supervise = Effect.fn("Supervisor.supervise")(
    function* (state: State, name: string, now: number) {
      return yield* daemon.recordDecided(decide(state, { _tag: "Supervise", instance: name }, now))
    },
    (effect, _state, name) => Effect.annotateLogs(effect, { instance: name })
  )

  /** The next restart that falls due wakes the supervisor then. */
  const alarm = yield* makeAlarm
  // The tail and the alarm both start passes: one at a time.
  const reconcileAll: Effect.Effect<void> = daemon.onePass.withPermits(1)(Effect.gen(function* () {
    // Whatever it did now on a journal replaced under it would be recorded where no one reads:
    // it acts no more, and its tail, failing on the same check, ends it.
    if (Either.isLeft(yield* Effect.either(journal.stillOnDisk))) return
    const now = yield* Clock.currentTimeMillis
    const state = folded.state
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
        action === "spawn" ? servers.spawn(instance) : action === "stop" ? servers.stop(instance) : supervise(state, instance.name, now)
      yield* Effect.forkDaemon(
        act.pipe(
          Effect.tap((seq) => Effect.sync(() => busy.set(instance.name, seq))),
          Effect.tapErrorCause((cause) => Effect.sync(() => busy.delete(instance.name)).pipe(Effect.zipRight(Effect.logError(cause))))
        )
      )
    }
    yield* alarm.set(nextDue, Effect.suspend(() => reconcileAll))
  }))

  yield* reconcileAll
  const tail = Stream.runForEachChunk(journal.tailForFold({ after: folded.state.seq }), (chunk) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => {
      folded.state = fold(chunk, folded.state)
      daemon.metrics.observe(chunk, folded.state)
      daemon.tailLag.seconds = Math.max(0, now - (Chunk.last(chunk).pipe(Option.map((envelope) => envelope.at), Option.getOrElse(() => now)))) / 1000
      // The tail's empty chunks (a poll that found nothing) would wake every reader of the feed.
      return Effect.zipRight(Chunk.isEmpty(chunk) ? Effect.void : PubSub.publish(daemon.feed, chunk), reconcileAll)
    })
  )
  yield* Effect.forkScoped(Effect.intoDeferred(tail, daemon.ended))
})

/**
 * The supervisor (DESIGN.md §2): folds the journal's tail and reconciles what is asked for with
 * what runs, on every change and when the next restart falls due.
 */
export const SupervisorLive = Layer.scopedDiscard(make)
