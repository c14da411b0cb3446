import type { Readable } from "node:stream"
import { Chunk, Effect, PubSub, Stream } from "effect"
import { describe, expect, it } from "vitest"
import type { NewEvent } from "../../src/domain/events.js"
import { makeEventHub } from "../../src/http/event-hub.js"
import { Journal } from "../../src/journal/Journal.js"
import { type Feed, makeFeed } from "../../src/runtime/feed.js"
import { journalIn, on, probe, spawned, withJournal } from "../support/journal.js"

/**
 * The hub against a real journal and the real feed, published to as the daemon's supervisor
 * does (each chunk it folded, after its commit); the streams are read as the HTTP response reads
 * them. What a stream shows: seqs, "beat" for a heartbeat.
 */

const start = { _tag: "StartRequested", by: "cli" } as const

/** Everything a stream has said so far, as seqs and beats, read as it comes. */
const reading = (out: Readable) => {
  const said: Array<number | "beat" | "connected"> = []
  let text = ""
  out.setEncoding("utf8")
  out.on("data", (data: string) => {
    text += data
    let end: number
    while ((end = text.indexOf("\n\n")) >= 0) {
      const message = text.slice(0, end)
      text = text.slice(end + 2)
      if (message === ": heartbeat") said.push("beat")
      else if (message === ": connected") said.push("connected")
      else said.push(Number(/^id: (\d+)$/m.exec(message)![1]))
    }
  })
  return said
}

/** Waits until `done` holds; fails after 5 s. */
const until = (done: () => boolean) =>
  Effect.promise(async () => {
    for (let waited = 0; !done(); waited += 10) {
      if (waited >= 5_000) throw new Error(`still not so after 5 s: ${done.toString()}`)
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  })

/** Appends and publishes the events as one chunk, as the daemon's tail folds them. */
const commit = (feed: Feed, events: ReadonlyArray<NewEvent>) =>
  Effect.gen(function* () {
    const journal = yield* Journal
    const seqs = yield* journal.append(events)
    const folded = yield* Stream.runCollect(journal.read({ after: seqs[0]! - 1, until: seqs.at(-1)! }))
    yield* PubSub.publish(feed, folded)
  })

const inHub = <A>(body: (hub: Effect.Effect.Success<ReturnType<typeof makeEventHub>>, feed: Feed) => Effect.Effect<A, unknown, Journal>) =>
  withJournal(
    journalIn(),
    Effect.scoped(
      Effect.gen(function* () {
        const feed = yield* makeFeed
        const hub = yield* makeEventHub(yield* Journal, feed)
        return yield* body(hub, feed)
      })
    )
  )

describe("the event hub (one reader of the feed writes every event stream)", () => {
  it("gives what is stored, then what is published, once each and in order, only the instance asked for; beats", async () => {
    const said = await inHub((hub, feed) =>
      Effect.gen(function* () {
        const journal = yield* Journal
        yield* commit(feed, [on("a", start), on("b", start)])
        const said = reading(hub.open({ after: 0, instance: "a" }))
        yield* until(() => said.length === 2)
        yield* commit(feed, [on("a", spawned(10)), on("b", spawned(11))])
        yield* PubSub.publish(feed, Chunk.empty())
        // Published again (a chunk handed on twice): nothing again.
        yield* PubSub.publish(feed, yield* Stream.runCollect(journal.read({ after: 0 })))
        yield* commit(feed, [on("a", probe())])
        yield* until(() => said.length === 5)
        yield* Effect.sleep("100 millis")
        return said
      })
    )
    expect(said).toEqual(["connected", 1, 3, "beat", 5])
  })

  it("reads a chunk the feed dropped from the journal: no gap", async () => {
    const said = await inHub((hub, feed) =>
      Effect.gen(function* () {
        const journal = yield* Journal
        const said = reading(hub.open({ after: 0 }))
        yield* until(() => said.length === 1)
        yield* Effect.sleep("50 millis")
        // 1 and 2 are committed but their chunk never reaches the hub; 3's does.
        yield* journal.append([on("a", start), on("a", spawned(10))])
        yield* commit(feed, [on("a", probe())])
        yield* until(() => said.length === 4)
        return said
      })
    )
    expect(said).toEqual(["connected", 1, 2, 3])
  })

  it("gives a stream that claims more than the journal holds only what comes after its claim", async () => {
    const said = await inHub((hub, feed) =>
      Effect.gen(function* () {
        yield* commit(feed, [on("a", start)])
        const said = reading(hub.open({ after: 2 }))
        yield* Effect.sleep("50 millis")
        yield* commit(feed, [on("a", spawned(10))])
        yield* commit(feed, [on("a", probe())])
        yield* until(() => said.length === 2)
        yield* Effect.sleep("50 millis")
        return said
      })
    )
    expect(said).toEqual(["connected", 3])
  })

  it("holds nothing for a stream whose client stops reading: it stops at its buffer, then reads the rest from the journal, every seq once", async () => {
    const got = await inHub((hub, feed) =>
      Effect.gen(function* () {
        const out = hub.open({ after: 0 })
        const said = reading(out)
        yield* until(() => said.length === 1)
        yield* Effect.sleep("50 millis")
        out.pause()
        for (let batch = 0; batch < 20; batch++) yield* commit(feed, Array.from({ length: 50 }, () => on("a", probe())))
        yield* Effect.sleep("50 millis")
        // What waits in the stream is about its high-water mark (16 KiB), not 1,000 events (about 200 KB).
        const buffered = out.readableLength
        out.resume()
        yield* until(() => said.length === 1_001)
        yield* Effect.sleep("50 millis")
        return { buffered, said }
      })
    )
    expect(got.buffered).toBeGreaterThan(0)
    expect(got.buffered).toBeLessThan(48 * 1024)
    expect(got.said).toEqual(["connected", ...Array.from({ length: 1_000 }, (_, index) => index + 1)])
  })

  it("forgets a stream once it is destroyed (its client went)", async () => {
    const counts = await inHub((hub, feed) =>
      Effect.gen(function* () {
        const streams = [hub.open({ after: 0 }), hub.open({ after: 0 })]
        const opened = hub.readers()
        streams[0]!.destroy()
        yield* commit(feed, [on("a", start)])
        return [opened, hub.readers()]
      })
    )
    expect(counts).toEqual([2, 1])
  })
})
