import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Fiber, TestClock } from "effect"
import type { EventOf, ProbeResult } from "../../src/domain/events.js"
import { START_FIRST_MS, START_GROWTH, START_PROBE_MS, probeLoop } from "../../src/runtime/probe-loop.js"

type Probed = EventOf<"HealthProbed">

/**
 * A scripted server: answers `results` in turn (the last one forever), or what `results` says at
 * the time of the probe, each answer taking `takesMs`.
 */
const scripted = (results: ReadonlyArray<ProbeResult> | ((now: number) => ProbeResult), takesMs = 0) => {
  const started: Array<number> = []
  const recorded: Array<{ readonly at: number; readonly result: ProbeResult }> = []
  let running = 0
  let overlapped = false
  const probe: Effect.Effect<Probed> = Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis
    started.push(now)
    running += 1
    overlapped ||= running > 1
    yield* Effect.sleep(takesMs).pipe(Effect.ensuring(Effect.sync(() => (running -= 1))))
    const result = typeof results === "function" ? results(now) : results[Math.min(started.length - 1, results.length - 1)]!
    return { _tag: "HealthProbed", result, status: null, latency_ms: takesMs, path: "/health" } satisfies Probed
  })
  const record = (event: Probed) => Effect.flatMap(Clock.currentTimeMillis, (at) => Effect.sync(() => recorded.push({ at, result: event.result })))
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

const gaps = (times: ReadonlyArray<number>) => times.slice(1).map((time, i) => time - times[i]!)
const readyAt = (ms: number) => (now: number): ProbeResult => (now < ms ? "loading" : "ok")

describe("probeLoop", () => {
  it.effect("probes a starting server at once, then after START_FIRST_MS, at gaps that grow with the time it has been starting", () =>
    Effect.gen(function* () {
      const server = yield* run(scripted(readyAt(60_000)), { interval: 2_000, start_period: 120_000 }, 60_000)
      expect(server.started.slice(0, 3)).toEqual([0, START_FIRST_MS, 2 * START_FIRST_MS])
      const between = gaps(server.started)
      expect(between.every((gap, i) => i === 0 || gap >= between[i - 1]!)).toBe(true)
      for (const [i, gap] of between.entries()) expect(gap).toBeLessThanOrEqual(Math.max(START_FIRST_MS, Math.round(server.started[i]! * START_GROWTH)))
      expect(Math.max(...between)).toBe(START_PROBE_MS)
      // A minute of loading: the quick first seconds, then two probes a second.
      expect(server.started.length).toBeLessThan(250)
    }))

  it.effect("records the quick probes only when their result changes, else one every START_PROBE_MS", () =>
    Effect.gen(function* () {
      const server = yield* run(scripted((now) => (now < 50 ? "unreachable" : now < 3_000 ? "loading" : "ok")), { interval: 2_000, start_period: 60_000 }, 6_100)
      const results = server.recorded.map((probe) => probe.result)
      expect(results.slice(0, 2)).toEqual(["unreachable", "loading"])
      expect(server.recorded[1]!.at).toBeLessThanOrEqual(50 + START_FIRST_MS)
      const loading = server.recorded.filter((probe) => probe.result === "loading").map((probe) => probe.at)
      for (const gap of gaps(loading)) expect(gap).toBeGreaterThanOrEqual(START_PROBE_MS)
      expect(loading.length).toBeLessThanOrEqual(Math.ceil(3_000 / START_PROBE_MS) + 1)
      expect(server.recorded.length).toBeLessThan(server.started.length)
    }))

  it.effect.each([100, 1_000, 2_000, 10_000])("sees a server ready after %i ms within 5 %% of that, then probes every interval on the grid", (ready) =>
    Effect.gen(function* () {
      const server = yield* run(scripted(readyAt(ready)), { interval: 2_000, start_period: 60_000 }, ready + 6_000)
      const firstOk = server.recorded.find((probe) => probe.result === "ok")!.at
      expect(firstOk - ready).toBeLessThanOrEqual(Math.max(START_FIRST_MS, ready * START_GROWTH))
      const next = Math.floor((firstOk + 2_000) / 2_000) * 2_000
      expect(server.started.filter((at) => at > firstOk)).toEqual([next, next + 2_000, next + 4_000].filter((at) => at <= ready + 6_000))
    }))

  it.effect("goes over to the interval when the start period ends without a success", () =>
    Effect.gen(function* () {
      const server = yield* run(scripted(["loading"]), { interval: 2_000, start_period: 1_200 }, 5_500)
      expect(Math.max(...server.started.filter((at) => at < 2_000))).toBeLessThan(1_200)
      expect(server.started.filter((at) => at >= 1_200)).toEqual([2_000, 4_000])
    }))

  it.effect("probes at the interval when it is shorter than START_PROBE_MS", () =>
    Effect.gen(function* () {
      const server = yield* run(scripted(["loading", "ok"]), { interval: 200, start_period: 60_000 }, 1_000)
      expect(server.started).toEqual([0, START_FIRST_MS, 200, 400, 600, 800, 1_000])
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
      expect(server.started).toEqual([1_300, 1_300 + START_FIRST_MS, 2_000, 3_000, 4_000])
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
      expect(server.recorded.map((probe) => probe.at)).toEqual([1_300, 2_300, 3_300, 4_300, 5_300])
    }))
})
