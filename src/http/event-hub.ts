import { Readable } from "node:stream"
import { Chunk, Context, Effect, FiberSet, PubSub, Queue, Stream } from "effect"
import { eventObject } from "../app/json.js"
import type { Envelope } from "../domain/events.js"
import type { Journal, ReadFilter } from "../journal/Journal.js"
import type { Feed } from "../runtime/feed.js"
import { CONNECTED, HEARTBEAT, formatMessage } from "./sse.js"

/** How many events a reader catching up takes from the journal at a time. */
const PAGE = 1_000

/**
 * One event stream. `live`: the hub writes each chunk it takes to it; `reading`: it catches up
 * from the journal; `waiting`: its socket is full, and it catches up from the journal once it
 * drains. Nothing is held for a reader that is not live: the journal holds it.
 */
interface Reader {
  readonly filter: ReadFilter
  /** The newest seq it has been given or has passed over. */
  seen: number
  mode: "live" | "reading" | "waiting"
  readonly out: Readable
}

const fits = (filter: ReadFilter, envelope: Envelope) =>
  (filter.instance === undefined || envelope.instance === filter.instance) && (filter.types === undefined || filter.types.includes(envelope.event._tag))

/** An event as a server-sent event: `id:` its seq, `event:` its type, `data:` what `orch events --json` prints. */
export const eventMessage = (envelope: Envelope) =>
  formatMessage({ id: envelope.seq, event: envelope.event._tag, data: JSON.stringify(eventObject(envelope)) })

/**
 * Every event stream of the API, written by one reader of the daemon's feed: an idle stream is a
 * node Readable and a few numbers, not a pipeline of fibers each (bench/RESULTS.md, issue 17).
 * What a stream has not been given, because it started behind or its client reads slowly, it
 * reads from the journal, so a stream never misses nor repeats an event and a slow client costs
 * no memory beyond its socket's buffer and a page.
 */
export const makeEventHub = (journal: Context.Tag.Service<typeof Journal>, feed: Feed) =>
  Effect.gen(function* () {
    // Subscribed before the journal is read: a chunk committed in between reaches the hub.
    const subscription = yield* PubSub.subscribe(feed)
    /** How far the hub has handed the journal on: a reader that has seen this far is live. */
    let handed = yield* journal.lastSeq
    const readers = new Set<Reader>()
    const run = yield* FiberSet.runtime(yield* FiberSet.make<void>())<never>()

    const catchUp = (reader: Reader): Effect.Effect<void> =>
      Effect.gen(function* () {
        for (;;) {
          if (reader.out.destroyed) return
          const until = handed
          // Checked and switched with no yield between: a chunk the hub takes after this is the reader's.
          if (reader.seen >= until) {
            reader.mode = "live"
            return
          }
          const page = Chunk.toReadonlyArray(yield* Stream.runCollect(Stream.take(journal.read({ ...reader.filter, after: reader.seen, until }), PAGE)))
          let room = true
          for (const envelope of page) if (!reader.out.push(eventMessage(envelope))) room = false
          reader.seen = page.length === PAGE ? page[PAGE - 1]!.seq : until
          if (!room) {
            reader.mode = "waiting"
            return
          }
        }
      }).pipe(Effect.catchAllCause((cause) => Effect.sync(() => reader.out.destroy(new Error(`the journal cannot be read: ${String(cause)}`)))))

    const startCatchUp = (reader: Reader) => {
      reader.mode = "reading"
      run(catchUp(reader))
    }

    const hand = (chunk: Chunk.Chunk<Envelope>) => {
      if (Chunk.isEmpty(chunk)) {
        for (const reader of readers) if (reader.mode === "live" && !reader.out.push(HEARTBEAT)) reader.mode = "waiting"
        return
      }
      const events = Chunk.toReadonlyArray(chunk)
      const last = events[events.length - 1]!.seq
      handed = Math.max(handed, last)
      // Each event written once for all readers, when the first one wants it.
      const texts = new Map<number, string>()
      const text = (envelope: Envelope) => texts.get(envelope.seq) ?? texts.set(envelope.seq, eventMessage(envelope)).get(envelope.seq)!
      for (const reader of readers) {
        if (reader.mode !== "live") continue
        const from = events.findIndex((envelope) => envelope.seq > reader.seen)
        if (from < 0) continue
        // A chunk the hub's subscription dropped (it keeps FEED_CHUNKS): the reader reads it from the journal.
        if (events[from]!.seq > reader.seen + 1) {
          startCatchUp(reader)
          continue
        }
        let room = true
        for (let i = from; i < events.length; i++) if (fits(reader.filter, events[i]!) && !reader.out.push(text(events[i]!))) room = false
        reader.seen = last
        if (!room) reader.mode = "waiting"
      }
    }

    yield* Effect.forkScoped(Effect.forever(Effect.map(Queue.take(subscription), hand)))
    yield* Effect.addFinalizer(() => Effect.sync(() => readers.forEach((reader) => reader.out.destroy())))

    /**
     * A stream of the events after `filter.after` (none: after the newest the daemon has folded)
     * that match: `: connected`, then what is stored, then what comes.
     */
    const open = (filter: ReadFilter): Readable => {
      const reader: Reader = {
        filter,
        seen: filter.after ?? handed,
        mode: "waiting",
        out: new Readable({
          read: () => {
            if (reader.mode === "waiting") startCatchUp(reader)
          },
          destroy: (error, callback) => {
            readers.delete(reader)
            callback(error)
          }
        })
      }
      readers.add(reader)
      reader.out.push(CONNECTED)
      return reader.out
    }
    return { open, readers: () => readers.size }
  })

export class EventHub extends Context.Tag("EventHub")<EventHub, Effect.Effect.Success<ReturnType<typeof makeEventHub>>>() {}
