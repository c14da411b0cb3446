import { Clock, Effect } from "effect"
import type { EventOf, NewEvent, ProbeResult } from "../domain/events.js"

/** How long a probe may wait to be committed with others: a hundred servers, ten commits a second. */
export const PROBE_BATCH_MS = 100
/**
 * How long a request record may wait: each commit holds the daemon's thread for a few ms (SQLite
 * is synchronous), and at one commit every 100 ms the requests that met one were the slowest 1 %
 * through the gateway (bench/RESULTS.md). No one waits for a request record.
 */
export const SERVED_BATCH_MS = 1_000

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
    // A flush due within PROBE_BATCH_MS (a probe waits), and one within SERVED_BATCH_MS (only requests wait).
    const due = { probe: false, served: false }
    const flushIn = (ms: number, kind: keyof typeof due) =>
      due[kind] ? Effect.void : Effect.zipRight(
        Effect.sync(() => void (due[kind] = true)),
        Effect.forkDaemon(Effect.ignore(Effect.delay(Effect.zipRight(Effect.sync(() => void (due[kind] = false)), flush), ms)))
      )
    const add = (instance: string, event: EventOf<"HealthProbed">) =>
      Effect.gen(function* () {
        waiting.push({ instance, event, at: yield* Clock.currentTimeMillis })
        const before = last.get(instance)
        last.set(instance, event.result)
        if (before !== undefined && before !== event.result) yield* Effect.ignore(flush)
        else yield* flushIn(PROBE_BATCH_MS, "probe")
      })
    /** Requests the gateway served: traffic like probes, committed with them, never news on its own. */
    const addServed = (instance: string, event: EventOf<"RequestServed">) =>
      Effect.gen(function* () {
        waiting.push({ instance, event, at: yield* Clock.currentTimeMillis })
        yield* flushIn(SERVED_BATCH_MS, "served")
      })
    const append = (events: ReadonlyArray<NewEvent>) => Effect.zipRight(flush, commit(events))
    return { add, addServed, append }
  })
