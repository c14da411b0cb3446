import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Either, Fiber, TestClock } from "effect"
import { makeTimeLimit } from "../../src/runtime/time-limit.js"

/** A request that answers when the test says so, and counts how often it was stopped. */
const request = () => {
  let answer: ((result: Effect.Effect<string>) => void) | undefined
  let stops = 0
  const start = (resume: (result: Effect.Effect<string>) => void) => {
    answer = resume
    return () => void (stops += 1)
  }
  return { start, answer: (value: string) => answer?.(Effect.succeed(value)), stops: () => stops }
}

describe("makeTimeLimit", () => {
  it.scoped("hands back an answer that comes in time, and later stops nothing", () =>
    Effect.gen(function* () {
      const limit = yield* makeTimeLimit(1_000)
      const req = request()
      const fiber = yield* Effect.fork(limit(req.start))
      yield* TestClock.adjust(999)
      req.answer("ok")
      expect(yield* Fiber.join(fiber)).toBe("ok")
      yield* TestClock.adjust(5_000)
      expect(req.stops()).toBe(0)
    }))

  it.scoped("stops the request and fails with a TimeoutException at the limit, not before", () =>
    Effect.gen(function* () {
      const limit = yield* makeTimeLimit(1_000)
      const req = request()
      const fiber = yield* Effect.fork(Effect.either(limit(req.start)))
      yield* TestClock.adjust(999)
      expect(fiber.unsafePoll()).toBeNull()
      yield* TestClock.adjust(1)
      const result = yield* Fiber.join(fiber)
      expect(Either.isLeft(result) && result.left instanceof Cause.TimeoutException).toBe(true)
      expect(req.stops()).toBe(1)
      req.answer("late")
    }))

  it.scoped("gives each request of a series its own full limit, though the keeper slept for the one before", () =>
    Effect.gen(function* () {
      const limit = yield* makeTimeLimit(1_000)
      const first = request()
      const one = yield* Effect.fork(limit(first.start))
      yield* TestClock.adjust(100)
      first.answer("first")
      yield* Fiber.join(one)
      yield* TestClock.adjust(500)
      const second = request()
      const two = yield* Effect.fork(Effect.either(limit(second.start)))
      // The first's deadline (1,000) passes: the second, started at 600, still has until 1,600.
      yield* TestClock.adjust(999)
      expect(two.unsafePoll()).toBeNull()
      expect(second.stops()).toBe(0)
      yield* TestClock.adjust(1)
      expect(Either.isLeft(yield* Fiber.join(two))).toBe(true)
      expect(second.stops()).toBe(1)
    }))

  it.scoped("stops the request when the caller is interrupted, once", () =>
    Effect.gen(function* () {
      const limit = yield* makeTimeLimit(1_000)
      const req = request()
      const fiber = yield* Effect.fork(limit(req.start))
      yield* TestClock.adjust(10)
      yield* Fiber.interrupt(fiber)
      yield* TestClock.adjust(5_000)
      expect(req.stops()).toBe(1)
    }))
})
