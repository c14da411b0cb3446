import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Fiber, TestClock } from "effect"
import type { EventOf, ProbeResult } from "../../src/domain/events.js"
import { START_PROBE_MS, probeLoop } from "../../src/runtime/probe-loop.js"

type Probed = EventOf<"HealthProbed">

/** A scripted server: answers `results` in turn (the last one forever), each taking `takesMs`. */
const scripted = (results: ReadonlyArray<ProbeResult>, takesMs = 0) => {
  const started: Array<number> = []
  const recorded: Array<number> = []
  let running = 0
  let overlapped = false
  const probe: Effect.Effect<Probed> = Effect.gen(function* () {
    started.push(yield* Clock.currentTimeMillis)
    running += 1
    overlapped ||= running > 1
    yield* Effect.sleep(takesMs).pipe(Effect.ensuring(Effect.sync(() => (running -= 1))))
    const result = results[Math.min(started.length - 1, results.length - 1)]!
    return { _tag: "HealthProbed", result, status: null, latency_ms: takesMs, path: "/health" } satisfies Probed
  })
  const record = () => Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.sync(() => recorded.push(now)))
  return { probe, record, started, recorded, overlapped: () => overlapped }
}

/** Runs the loop for `forMs` of test time and hands back what the server saw. */
const run = (server: ReturnType<typeof scripted>, healthcheck: { interval: number; start_period: number }, forMs: number) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.fork(probeLoop(server.probe, server.record, healthcheck))
    yield* TestClock.adjust(forMs)
    yield* Fiber.interrupt(fiber)
    return server
  })

describe("probeLoop", () => {
  it.effect("probes a starting server every START_PROBE_MS until its first success, then every interval", () =>
    Effect.gen(function* () {
      const server = yield* run(scripted(["loading", "loading", "loading", "ok"]), { interval: 2_000, start_period: 60_000 }, 6_000)
      expect(START_PROBE_MS).toBe(500)
      // After the success the next probe joins the 2 s grid, once sooner than the interval.
      expect(server.started).toEqual([0, 500, 1_000, 1_500, 2_000, 4_000, 6_000])
      expect(server.recorded).toEqual(server.started)
    }))

  it.effect("goes over to the interval when the start period ends without a success", () =>
    Effect.gen(function* () {
      const server = yield* run(scripted(["loading"]), { interval: 2_000, start_period: 1_200 }, 5_500)
      expect(server.started).toEqual([0, 500, 1_000, 2_000, 4_000])
    }))

  it.effect("probes at the interval when it is shorter than START_PROBE_MS", () =>
    Effect.gen(function* () {
      const server = yield* run(scripted(["loading", "ok"]), { interval: 200, start_period: 60_000 }, 1_000)
      expect(server.started).toEqual([0, 200, 400, 600, 800, 1_000])
    }))

  it.effect("probes servers started at different times in the same instants, never later than the interval", () =>
    Effect.gen(function* () {
      const first = scripted(["ok"])
      const second = scripted(["ok"])
      const healthcheck = { interval: 1_000, start_period: 0 }
      const fibers = [yield* Effect.fork(probeLoop(first.probe, first.record, healthcheck))]
      yield* TestClock.adjust(300)
      fibers.push(yield* Effect.fork(probeLoop(second.probe, second.record, healthcheck)))
      yield* TestClock.adjust(3_700)
      yield* Effect.forEach(fibers, Fiber.interrupt)
      expect(first.started).toEqual([1_000, 2_000, 3_000, 4_000])
      expect(second.started).toEqual([1_000, 2_000, 3_000, 4_000])
    }))

  it.effect("a starting server joins the grid after its first probe", () =>
    Effect.gen(function* () {
      yield* TestClock.adjust(1_300)
      const server = yield* run(scripted(["loading", "ok"]), { interval: 1_000, start_period: 60_000 }, 3_000)
      expect(server.started).toEqual([1_300, 1_500, 2_000, 3_000, 4_000])
    }))

  it.effect("keeps a fixed rate: probes slower than the interval delay the next, never overlap or pile up", () =>
    Effect.gen(function* () {
      const server = yield* run(scripted(["ok"], 1_500), { interval: 1_000, start_period: 0 }, 10_000)
      expect(server.overlapped()).toBe(false)
      // The first waits one interval; each later one starts as soon as the slow one before it ends.
      expect(server.started).toEqual([1_000, 2_500, 4_000, 5_500, 7_000, 8_500, 10_000])
    }))

  it.effect("does not drift: a probe that takes part of the interval does not push the next ones later", () =>
    Effect.gen(function* () {
      const server = yield* run(scripted(["ok"], 300), { interval: 1_000, start_period: 0 }, 5_500)
      expect(server.started).toEqual([1_000, 2_000, 3_000, 4_000, 5_000])
      expect(server.recorded).toEqual([1_300, 2_300, 3_300, 4_300, 5_300])
    }))
})
