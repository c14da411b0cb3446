import { Chunk, Effect, PubSub, Schedule } from "effect"
import type { Envelope } from "../domain/events.js"

/**
 * How many folded chunks the feed keeps for a subscriber that has not taken them: one that falls
 * further behind loses the oldest and reads them from the journal instead (src/http/event-hub.ts),
 * so it costs the daemon no more memory than this.
 */
export const FEED_CHUNKS = 256

/**
 * The journal as the daemon folds it, chunk by chunk, for every reader inside the daemon; an empty
 * chunk now and then (`beat`) lets readers that wait say they are still there.
 */
export const makeFeed = PubSub.sliding<Chunk.Chunk<Envelope>>(FEED_CHUNKS)

export type Feed = PubSub.PubSub<Chunk.Chunk<Envelope>>

/** Publishes an empty chunk every `everyMs`, for as long as the scope lasts. */
export const beat = (feed: Feed, everyMs: number) => Effect.forkScoped(Effect.repeat(PubSub.publish(feed, Chunk.empty()), Schedule.spaced(everyMs)))
