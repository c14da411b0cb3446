import { Clock, Effect, Fiber } from "effect"

interface Pending {
  fiber?: Fiber.RuntimeFiber<void>
}

/**
 * One alarm clock: `set(at, effect)` runs `effect` at time `at` (at once if that has passed),
 * and replaces whatever was set before; `set(Infinity, …)` just clears it. The backoff
 * scheduler sets it to the next restart due on every pass, so a restart waits on no polling.
 */
export const makeAlarm = Effect.gen(function* () {
  let pending: Pending | undefined
  const set = (at: number, effect: Effect.Effect<void>): Effect.Effect<void> =>
    Effect.gen(function* () {
      const previous = pending
      pending = undefined
      if (previous?.fiber !== undefined) yield* Fiber.interrupt(previous.fiber)
      if (!Number.isFinite(at)) return
      const wait = Math.max(0, at - (yield* Clock.currentTimeMillis))
      const entry: Pending = {}
      pending = entry
      // An alarm that fires is done with first: setting it again from its own effect must not interrupt that.
      const done = Effect.sync(() => void (pending === entry ? (pending = undefined) : undefined))
      entry.fiber = yield* Effect.forkDaemon(Effect.sleep(wait).pipe(Effect.zipRight(done), Effect.zipRight(effect)))
    })
  yield* Effect.addFinalizer(() => (pending?.fiber === undefined ? Effect.void : Fiber.interrupt(pending.fiber)))
  return { set }
})
