import { Clock, Effect } from "effect"
import type { EventOf, ProbeResult } from "../domain/events.js"

type Probed = EventOf<"HealthProbed">

/** The longest gap between probes of a starting server (the interval, if that is shorter). */
export const START_PROBE_MS = 500
/** A starting server is probed again this soon after its first probe... */
export const START_FIRST_MS = 5
/**
 * ...and then after this share of the time it has been starting, up to START_PROBE_MS: a server
 * is seen ready at most 5 % (and 500 ms) after it is, whether it loads in 100 ms or in minutes,
 * while a long load costs no more than two probes a second.
 */
export const START_GROWTH = 0.05

/**
 * Where a probe falls: on a multiple of its period since the epoch, so that servers probed at one
 * period are probed in the same wake-up (a probe spread over the second costs several times the
 * CPU of probes made together: bench/RESULTS.md).
 */
const onGrid = (at: number, period: number) => Math.floor(at / period) * period

/**
 * Probes one server for as long as it runs. Like docker's start_interval, a starting server is
 * probed often until its first success or the end of its start period, so `orch up` (and a
 * request waiting for a cold start) sees it ready at once: at once, then after START_FIRST_MS,
 * then at gaps that grow with the time it has been starting, up to START_PROBE_MS. The quick
 * probes in between are recorded only when their result changes, so the journal gets no more
 * than one probe every START_PROBE_MS from a loading server. Then every `interval`, fixed-rate
 * on the grid: each probe is due one period at most after the one before was due (less only
 * once, when it joins the grid), so time spent probing does not push the rest later; a probe
 * slower than the period delays the next one, which then starts at once: probes never overlap or
 * pile up.
 */
export const probeLoop = <E, R>(
  probe: Effect.Effect<Probed>,
  record: (event: Probed) => Effect.Effect<unknown, E, R>,
  healthcheck: { readonly interval: number; readonly start_period: number }
): Effect.Effect<never, E, R> =>
  Effect.gen(function* () {
    const startEvery = Math.min(START_PROBE_MS, healthcheck.interval)
    const began = yield* Clock.currentTimeMillis
    const startEnds = began + healthcheck.start_period
    let starting = healthcheck.start_period > 0
    let due = starting ? began : Math.max(onGrid(began + healthcheck.interval, healthcheck.interval), began)
    let recorded: { readonly at: number; readonly result: ProbeResult } | undefined
    for (;;) {
      const before = yield* Clock.currentTimeMillis
      if (due > before) yield* Effect.sleep(due - before)
      const sent = Math.max(due, before)
      const event = yield* probe
      if (!starting || recorded === undefined || recorded.result !== event.result || sent - recorded.at >= startEvery) {
        yield* record(event)
        recorded = { at: sent, result: event.result }
      }
      const now = yield* Clock.currentTimeMillis
      if (starting) {
        const gap = Math.min(startEvery, Math.max(START_FIRST_MS, Math.round((sent - began) * START_GROWTH)))
        if (event.result !== "ok" && sent + gap < startEnds) {
          due = Math.max(sent + gap, now)
          continue
        }
        starting = false
      }
      due = Math.max(onGrid(due + healthcheck.interval, healthcheck.interval), now)
    }
  })
