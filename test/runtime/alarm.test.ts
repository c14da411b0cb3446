import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, TestClock } from "effect"
import type { Envelope, Event } from "../../src/domain/events.js"
import { type State, fold } from "../../src/domain/instances.js"
import { type Input, decide } from "../../src/domain/decide.js"
import { reconcile } from "../../src/domain/supervise.js"
import { makeAlarm } from "../../src/runtime/alarm.js"

const firedAt = (times: Array<number>) => Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.sync(() => void times.push(now)))

describe("the alarm", () => {
  it.scoped("fires at the time set, not before", () =>
    Effect.gen(function* () {
      const alarm = yield* makeAlarm
      const fired: Array<number> = []
      yield* alarm.set(1_500, firedAt(fired))
      yield* TestClock.adjust(1_499)
      expect(fired).toEqual([])
      yield* TestClock.adjust(1)
      expect(fired).toEqual([1_500])
      yield* TestClock.adjust(10_000)
      expect(fired).toEqual([1_500])
    }))

  it.scoped("is replaced by the next set, and cleared by Infinity", () =>
    Effect.gen(function* () {
      const alarm = yield* makeAlarm
      const fired: Array<string> = []
      yield* alarm.set(1_000, Effect.sync(() => void fired.push("first")))
      yield* alarm.set(2_000, Effect.sync(() => void fired.push("second")))
      yield* TestClock.adjust(5_000)
      expect(fired).toEqual(["second"])
      yield* alarm.set(6_000, Effect.sync(() => void fired.push("third")))
      yield* alarm.set(Number.POSITIVE_INFINITY, Effect.void)
      yield* TestClock.adjust(5_000)
      expect(fired).toEqual(["second"])
    }))

  it.scoped("fires at once for a time already past, and may be set again from its own effect", () =>
    Effect.gen(function* () {
      const alarm = yield* makeAlarm
      yield* TestClock.adjust(10_000)
      const fired: Array<number> = []
      const again: Effect.Effect<void> = Effect.gen(function* () {
        yield* firedAt(fired)
        if (fired.length < 3) yield* alarm.set((yield* Clock.currentTimeMillis) + 1_000, again)
      })
      yield* alarm.set(5_000, again)
      yield* TestClock.adjust(0)
      expect(fired).toEqual([10_000])
      yield* TestClock.adjust(5_000)
      expect(fired).toEqual([10_000, 11_000, 12_000])
    }))
})

/**
 * The backoff scheduler as the daemon runs it, over TestClock: the supervisor's plan (reconcile),
 * the decider's events and the alarm that wakes it. The server is probed ok when it starts
 * and just before it crashes, `crashAfter` ms later; the journal is an array of events stamped
 * with the test clock.
 */
const crashLoop = (restart_policy: Record<string, unknown>, crashAfter: number, forMs: number) =>
  Effect.gen(function* () {
    const alarm = yield* makeAlarm
    const journal: Array<Envelope> = []
    let state: State = fold([])
    const append = (event: Event) =>
      Effect.gen(function* () {
        const envelope: Envelope = { seq: journal.length + 1, at: yield* Clock.currentTimeMillis, instance: "flaky", event }
        journal.push(envelope)
        state = fold([envelope], state)
      })
    const decided = (input: Input) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.forEach(decide(state, input, now), ({ event }) => append(event), { discard: true }))
    const pass: Effect.Effect<void> = Effect.gen(function* () {
      const instance = state.instances["flaky"]!
      const now = yield* Clock.currentTimeMillis
      const action = reconcile(instance, now)
      if (action === "schedule") {
        yield* decided({ _tag: "Supervise", instance: "flaky" })
        return yield* pass
      }
      if (action === "spawn") {
        const pid = journal.length
        yield* append({ _tag: "ProcessSpawned", pid, start_time: "0", argv: [], stdout: "o", stderr: "e" })
        yield* append({ _tag: "HealthProbed", result: "ok", status: 200, latency_ms: 1, path: "/health" })
        // It crashes later: its exit wakes the scheduler like the tail does.
        yield* Effect.forkDaemon(Effect.sleep(crashAfter).pipe(
          Effect.zipRight(append({ _tag: "HealthProbed", result: "ok", status: 200, latency_ms: 1, path: "/health" })),
          Effect.zipRight(decided({ _tag: "Exited", instance: "flaky", pid, code: 1, signal: null, uptime_ms: crashAfter, ready: true, stderr: null })),
          Effect.zipRight(pass)
        ))
      }
      const due = state.instances["flaky"]!.next_restart
      yield* alarm.set(due === null || state.instances["flaky"]!.pid !== null ? Number.POSITIVE_INFINITY : due.due_at, pass)
    })
    yield* append({ _tag: "ConfigApplied", config: { model: { path: "m" }, server: { port: 1 }, restart_policy }, hash: "h" })
    yield* append({ _tag: "StartRequested", by: "cli" })
    yield* pass
    yield* TestClock.adjust(forMs)
    const spawns = journal.filter((envelope) => envelope.event._tag === "ProcessSpawned").map((envelope) => envelope.at)
    const decisions = journal.flatMap((envelope): ReadonlyArray<ReadonlyArray<number | string>> =>
      envelope.event._tag === "RestartScheduled" ? [[envelope.event.attempt, envelope.event.delay_ms]] : envelope.event._tag === "RestartGaveUp" ? [["gave up"]] : []
    )
    return { spawns, decisions, state: state.instances["flaky"]! }
  })

describe("the backoff scheduler over TestClock", () => {
  it.scoped("waits initial × multiplier^(n−1), capped at max_delay, then gives up after max_retries: failed", () =>
    Effect.gen(function* () {
      const run = yield* crashLoop({ initial_delay: "1s", backoff_multiplier: 2, max_delay: "5s", max_retries: 5 }, 100, 60_000)
      expect(run.decisions).toEqual([[1, 1_000], [2, 2_000], [3, 4_000], [4, 5_000], [5, 5_000], ["gave up"]])
      // Each start comes exactly its delay after the crash before it.
      const gaps = run.spawns.slice(1).map((at, i) => at - run.spawns[i]! - 100)
      expect(gaps).toEqual([1_000, 2_000, 4_000, 5_000, 5_000])
      expect(run.state.status).toBe("failed")
    }))

  it.scoped("starts from attempt 1 again after reset_after of healthy running", () =>
    Effect.gen(function* () {
      const stable = yield* crashLoop({ initial_delay: "1s", reset_after: "1s", max_retries: 2 }, 1_500, 20_000)
      expect(stable.decisions.length).toBeGreaterThan(3)
      expect(new Set(stable.decisions.map(String))).toEqual(new Set(["1,1000"]))
      const unstable = yield* crashLoop({ initial_delay: "1s", reset_after: "1s", max_retries: 2 }, 500, 20_000)
      expect(unstable.decisions).toEqual([[1, 1_000], [2, 2_000], ["gave up"]])
    }))

  it.scoped("restarts nothing when restarts are off", () =>
    Effect.gen(function* () {
      const run = yield* crashLoop({ enabled: false }, 100, 10_000)
      expect(run.decisions).toEqual([])
      expect(run.spawns).toHaveLength(1)
      expect(run.state.status).toBe("stopped")
    }))
})
