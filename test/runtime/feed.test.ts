import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Option, PubSub, Queue, Stream, TestClock } from "effect"
import type { Envelope } from "../../src/domain/events.js"
import { Journal } from "../../src/journal/Journal.js"
import { beat, follow, makeFeed } from "../../src/runtime/feed.js"
import { journalIn, on, probe, spawned, withJournal } from "../support/journal.js"

const start = { _tag: "StartRequested", by: "cli" } as const

/** What a reader of the feed got: seqs, and "beat" for a None. */
const shown = (items: ReadonlyArray<Option.Option<Envelope>>) => items.map(Option.match({ onNone: () => "beat", onSome: (envelope) => envelope.seq }))

describe("the daemon's feed (one tail for every event stream)", () => {
  it("gives what is stored, then what is published, once each and in order; reads a chunk it missed from the journal; passes beats on", async () => {
    const got = await withJournal(
      journalIn(),
      Effect.scoped(Effect.gen(function* () {
        const journal = yield* Journal
        yield* journal.append([on("a", start), on("b", start)])
        const feed = yield* makeFeed
        const taken = yield* Queue.unbounded<Option.Option<Envelope>>()
        yield* Effect.forkScoped(Stream.runForEach(follow(journal, feed, { after: 0, instance: "a" }), (item) => Queue.offer(taken, item)))
        const items = [yield* Queue.take(taken)]
        // Subscribed, and what was stored is read: now the daemon folds 3..6.
        yield* journal.append([on("a", spawned(10)), on("b", spawned(11)), on("a", probe()), on("b", probe())])
        const folded = Chunk.toReadonlyArray(yield* Stream.runCollect(journal.read({ after: 2 })))
        // The sliding buffer dropped 3 and 4 for this reader: they come from the journal.
        yield* PubSub.publish(feed, Chunk.unsafeFromArray(folded.slice(2)))
        yield* PubSub.publish(feed, Chunk.empty())
        // Already given: nothing again.
        yield* PubSub.publish(feed, Chunk.unsafeFromArray(folded))
        yield* PubSub.publish(feed, Chunk.empty())
        for (let i = 0; i < 4; i++) items.push(yield* Queue.take(taken))
        const more = yield* Effect.timeoutOption(Queue.take(taken), "100 millis")
        return { items, more }
      }))
    )
    expect(shown(got.items)).toEqual([1, 3, 5, "beat", "beat"])
    expect(Option.isNone(got.more)).toBe(true)
  })

  it("gives a reader that claims more than the journal holds only what comes after its claim, as a tail does", async () => {
    const got = await withJournal(
      journalIn(),
      Effect.scoped(Effect.gen(function* () {
        const journal = yield* Journal
        yield* journal.append([on("a", start)])
        const feed = yield* makeFeed
        const taken = yield* Queue.unbounded<Option.Option<Envelope>>()
        yield* Effect.forkScoped(Stream.runForEach(follow(journal, feed, { after: 2 }), (item) => Queue.offer(taken, item)))
        yield* Effect.sleep("50 millis")
        yield* journal.append([on("a", spawned(10)), on("a", probe())])
        yield* PubSub.publish(feed, Chunk.unsafeFromArray(Chunk.toReadonlyArray(yield* Stream.runCollect(journal.read({ after: 1 })))))
        return shown([yield* Queue.take(taken)])
      }))
    )
    expect(got).toEqual([3])
  })

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
