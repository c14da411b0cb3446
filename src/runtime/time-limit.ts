import { Cause, Clock, Effect } from "effect"

/**
 * A time limit for one request at a time, kept by one fiber for as long as its scope lasts.
 * `Effect.timeout` forks two fibers a call: with a hundred servers probed every second that was
 * most of the daemon's garbage (61 KB a probe) and a third of its CPU. The keeper sleeps on
 * Effect's clock (so TestClock drives it) and is never interrupted: a request answered in time
 * just clears the deadline, and the keeper, waking at it, finds nothing to do. Deadlines only
 * move later (one limit, requests one after another), so it never sleeps past one.
 */
export const makeTimeLimit = (limitMs: number) =>
  Effect.gen(function* () {
    let deadline = Number.POSITIVE_INFINITY
    let expire: (() => void) | undefined
    let wakeKeeper: (() => void) | undefined

    const keeper = Effect.gen(function* () {
      for (;;) {
        if (expire === undefined) {
          yield* Effect.async<void>((resume) => {
            wakeKeeper = () => resume(Effect.void)
            return Effect.sync(() => void (wakeKeeper = undefined))
          })
          wakeKeeper = undefined
        }
        const now = yield* Clock.currentTimeMillis
        if (now < deadline) {
          yield* Effect.sleep(deadline - now)
          continue
        }
        const expired = expire
        expire = undefined
        deadline = Number.POSITIVE_INFINITY
        expired?.()
      }
    })
    yield* Effect.forkScoped(keeper)

    /**
     * `start(resume)` begins a request and returns what stops it; it resumes at most once. Past
     * the limit the request is stopped and the effect fails with a TimeoutException.
     */
    return <A, E>(start: (resume: (result: Effect.Effect<A, E>) => void) => () => void) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.async<A, E | Cause.TimeoutException>((resume) => {
          let settled = false
          const stop = start((result) => {
            if (settled) return
            settled = true
            expire = undefined
            deadline = Number.POSITIVE_INFINITY
            resume(result)
          })
          if (settled) return
          deadline = now + limitMs
          expire = () => {
            settled = true
            stop()
            resume(Effect.fail(new Cause.TimeoutException()))
          }
          wakeKeeper?.()
          return Effect.sync(() => {
            if (settled) return
            settled = true
            expire = undefined
            deadline = Number.POSITIVE_INFINITY
            stop()
          })
        })
      )
  })
