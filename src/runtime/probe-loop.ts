import { Clock, Effect } from "effect"
import type { EventOf } from "../domain/events.js"

type Probed = EventOf<"HealthProbed">

/** How often a starting server is probed until its first success (the interval, if that is shorter). */
export const START_PROBE_MS = 500

/**
 * Probes one server for as long as it runs. Like docker's start_interval, a starting server is
 * probed every START_PROBE_MS until its first success or the end of its start period, so `orch
 * up` sees it ready at once; then every `interval`. Fixed-rate: each probe is due one period
 * after the one before was due, so time spent probing does not push the rest later; a probe
 * slower than the period delays the next one, which then starts at once: probes never overlap
 * or pile up.
 */
export const probeLoop = <E, R>(
  probe: Effect.Effect<Probed>,
  record: (event: Probed) => Effect.Effect<unknown, E, R>,
  healthcheck: { readonly interval: number; readonly start_period: number }
): Effect.Effect<never, E, R> =>
  Effect.gen(function* () {
    const startEvery = Math.min(START_PROBE_MS, healthcheck.interval)
    const startEnds = (yield* Clock.currentTimeMillis) + healthcheck.start_period
    let starting = healthcheck.start_period > 0
    let due = (yield* Clock.currentTimeMillis) + (starting ? 0 : healthcheck.interval)
    for (;;) {
      const before = yield* Clock.currentTimeMillis
      if (due > before) yield* Effect.sleep(due - before)
      const event = yield* probe
      yield* record(event)
      if (starting && (event.result === "ok" || due + startEvery >= startEnds)) starting = false
      due = Math.max(due + (starting ? startEvery : healthcheck.interval), yield* Clock.currentTimeMillis)
    }
  })
