import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, TestClock } from "effect"
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
