import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, PubSub, Queue, TestClock } from "effect"
import { beat, makeFeed } from "../../src/runtime/feed.js"

describe("the daemon's feed (what it folds, for the event hub)", () => {
  it.scoped("beats at once and then every interval, on the clock", () =>
    Effect.gen(function* () {
      const feed = yield* makeFeed
      const subscription = yield* PubSub.subscribe(feed)
      yield* beat(feed, 15_000)
      yield* TestClock.adjust("1 millis")
      expect(yield* Queue.size(subscription)).toBe(1)
      yield* TestClock.adjust("14 seconds")
      expect(yield* Queue.size(subscription)).toBe(1)
      yield* TestClock.adjust("1 seconds")
      expect(yield* Queue.size(subscription)).toBe(2)
      expect(Chunk.isEmpty(yield* Queue.take(subscription))).toBe(true)
    })
  )
})
