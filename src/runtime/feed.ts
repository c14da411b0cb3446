import { Chunk, type Context, Effect, Option, PubSub, Queue, Schedule, Stream } from "effect"
import type { Envelope } from "../domain/events.js"
import type { Journal, ReadFilter } from "../journal/Journal.js"

/**
 * How many folded chunks the feed keeps for a subscriber that has not taken them: one that falls
 * further behind loses the oldest and reads them from the journal instead, so a slow client costs
 * the daemon no more memory than this.
 */
export const FEED_CHUNKS = 256

/**
 * The journal as the daemon folds it, chunk by chunk, for every reader inside the daemon; an empty
 * chunk now and then (`beat`) lets readers that wait say they are still there.
 */
export const makeFeed = PubSub.sliding<Chunk.Chunk<Envelope>>(FEED_CHUNKS)

export type Feed = PubSub.PubSub<Chunk.Chunk<Envelope>>

const matches = (filter: ReadFilter) => (envelope: Envelope) =>
  (filter.instance === undefined || envelope.instance === filter.instance) && (filter.types === undefined || filter.types.includes(envelope.event._tag))

/**
 * The journal after `filter.after`, then as it grows: what `journal.tail` gives, every event once
 * and in order, but one tail (the daemon's own) for all readers rather than one each, which woke
 * and queried SQLite per reader (bench/RESULTS.md, issue 17). What a reader missed, because it
 * subscribed after it was folded or fell too far behind, is read from the journal. None: a beat.
 */
export const follow = (journal: Context.Tag.Service<typeof Journal>, feed: Feed, filter: ReadFilter) =>
  Stream.unwrapScoped(
    Effect.gen(function* () {
      // Subscribed before the journal is read: nothing committed in between is missed.
      const subscription = yield* PubSub.subscribe(feed)
      // A reader that claims more than there is (a journal since replaced) is given what comes after its claim, as `tail` does.
      let seen = Math.max(filter.after ?? 0, yield* journal.lastSeq)
      const fits = matches(filter)
      const stored = (after: number, until: number) => journal.read({ ...filter, after, until }).pipe(Stream.map(Option.some))
      const live = Stream.repeatEffect(Queue.take(subscription)).pipe(
        Stream.flatMap((chunk) => {
          if (Chunk.isEmpty(chunk)) return Stream.succeed(Option.none())
          const fresh = Chunk.filter(chunk, (envelope) => envelope.seq > seen)
          if (Chunk.isEmpty(fresh)) return Stream.empty
          const first = Chunk.unsafeHead(fresh).seq
          const missed = first > seen + 1 ? stored(seen, first - 1) : Stream.empty
          seen = Chunk.unsafeLast(fresh).seq
          return Stream.concat(missed, Stream.fromChunk(Chunk.filter(fresh, fits)).pipe(Stream.map(Option.some)))
        })
      )
      return Stream.concat(stored(filter.after ?? 0, seen), live)
    })
  )

/** Publishes an empty chunk every `everyMs`, for as long as the scope lasts. */
export const beat = (feed: Feed, everyMs: number) => Effect.forkScoped(Effect.repeat(PubSub.publish(feed, Chunk.empty()), Schedule.spaced(everyMs)))
