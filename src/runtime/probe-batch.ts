import { Clock, Effect } from "effect"
import type { EventOf, NewEvent, ProbeResult } from "../domain/events.js"

/** How long a probe may wait to be committed with others: a hundred servers, ten commits a second. */
export const PROBE_BATCH_MS = 100

/**
 * Probes are the journal's bulk: one commit each would cost a hundred SQLite transactions a
 * second for a hundred servers. They wait here, stamped with the time they were made, and are
 * committed together within PROBE_BATCH_MS; everything else the daemon records goes through
 * `append`, which commits the waiting probes first, so the journal keeps their order. A probe
 * whose result differs from its server's last one is news (a server ready, a server failing):
 * it is committed at once, with what waits before it, so `orch up` and a request waiting for a
 * cold start see it without the batch's delay.
 */
export const makeProbeBatch = <E>(commit: (events: ReadonlyArray<NewEvent>) => Effect.Effect<ReadonlyArray<number>, E>) =>
  Effect.gen(function* () {
    let waiting: Array<NewEvent> = []
    const last = new Map<string, ProbeResult>()
    const flush = Effect.suspend(() => {
      if (waiting.length === 0) return Effect.succeed<ReadonlyArray<number>>([])
      const batch = waiting
      waiting = []
      return commit(batch)
    })
    yield* Effect.addFinalizer(() => Effect.ignore(flush))
    const flushSoon = Effect.forkDaemon(Effect.ignore(Effect.delay(flush, PROBE_BATCH_MS)))
    const add = (instance: string, event: EventOf<"HealthProbed">) =>
      Effect.gen(function* () {
        waiting.push({ instance, event, at: yield* Clock.currentTimeMillis })
        const before = last.get(instance)
        last.set(instance, event.result)
        if (before !== undefined && before !== event.result) yield* Effect.ignore(flush)
        else if (waiting.length === 1) yield* flushSoon
      })
    /** Requests the gateway served: traffic like probes, committed with them, never news on its own. */
    const addServed = (instance: string, event: EventOf<"RequestServed">) =>
      Effect.gen(function* () {
        waiting.push({ instance, event, at: yield* Clock.currentTimeMillis })
        if (waiting.length === 1) yield* flushSoon
      })
    const append = (events: ReadonlyArray<NewEvent>) => Effect.zipRight(flush, commit(events))
    return { add, addServed, append }
  })
