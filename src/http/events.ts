import { HttpApiBuilder, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Chunk, Effect, Either, Stream } from "effect"
import { eventObject } from "../app/json.js"
import { userMessage } from "../app/messages.js"
import { psRows } from "../app/ps.js"
import { namedEventTypes } from "../domain/event-types.js"
import { Journal, type ReadFilter } from "../journal/Journal.js"
import { compactionBases, replay } from "../journal/projection.js"
import { DaemonState } from "../runtime/daemon-state.js"
import { Api } from "./api.js"
import { BadRequest } from "./errors.js"
import { EventHub } from "./event-hub.js"
import { SSE_HEADERS } from "./sse.js"

const PAGE = 1_000

/** `?type=A,B`: each an event type, or a BadRequest that says which is not and what it may be; none given, no filter. */
const typesOf = (text: string | undefined) =>
  Either.mapLeft(namedEventTypes(text ?? ""), ({ type, hint }) => new BadRequest({ message: `"${type}" is not an event type`, hint }))

/** What a page or a stream reads: after `after`, the instance and the types asked for. */
export const filterOf = (params: { readonly instance?: string | undefined; readonly type?: string | undefined; readonly since?: number | undefined }, after: number | undefined) =>
  Either.map(typesOf(params.type), (types): ReadFilter => ({
    ...(after === undefined ? {} : { after }),
    ...(params.since === undefined ? {} : { since: params.since }),
    ...(params.instance === undefined ? {} : { instance: params.instance }),
    ...(types.length === 0 ? {} : { types })
  }))

/** A client's Last-Event-ID (what the EventSource sends when it reconnects): the seq it saw last. */
export const lastEventId = (header: string | undefined) => (header !== undefined && /^\d{1,15}$/.test(header.trim()) ? Number(header.trim()) : undefined)

export const EventsLive = HttpApiBuilder.group(Api, "events", (handlers) =>
  Effect.gen(function* () {
    const { journal } = yield* DaemonState
    const hub = yield* EventHub
    return handlers
      .handle("page", ({ urlParams }) =>
        Effect.gen(function* () {
          const filter = yield* filterOf(urlParams, urlParams.after ?? 0)
          const limit = urlParams.limit ?? PAGE
          const events =
            urlParams.before === undefined
              ? Chunk.toReadonlyArray(yield* Effect.orDie(Stream.runCollect(Stream.take(journal.read(filter), limit))))
              : yield* Effect.orDie(journal.readLast({ ...filter, until: urlParams.before - 1 }, limit))
          const lastSeq = yield* Effect.orDie(journal.lastSeq)
          // A short page is the end for now: the next one starts at the newest seq, not just after the last match.
          const nextAfter = events.length === limit ? events.at(-1)!.seq : Math.max(filter.after ?? 0, lastSeq)
          return { events: events.map(eventObject), next_after: nextAfter, last_seq: lastSeq }
        })
      )
      .handle("replay", ({ urlParams }) =>
        Effect.gen(function* () {
          const until = urlParams.until !== undefined ? { seq: urlParams.until } : urlParams.at !== undefined ? { at: urlParams.at } : undefined
          const [state, bases, lastSeq] = yield* Effect.all([replay(until), compactionBases, journal.lastSeq]).pipe(
            Effect.provideService(Journal, journal),
            Effect.catchTag("Compacted", (error) => Effect.fail(new BadRequest(userMessage(error)))),
            Effect.catchTags({ BadEvent: Effect.die, JournalUnavailable: Effect.die, JournalReplaced: Effect.die })
          )
          const last = state.seq === 0 ? undefined : (yield* Effect.orDie(journal.readLast({ until: state.seq }, 1)))[0]
          const at = last?.at ?? null
          return {
            seq: state.seq,
            at,
            first_seq: bases.length === 0 ? 0 : Math.min(...bases),
            last_seq: lastSeq,
            // Ages as they were then: "now" is the moment of the last event folded.
            instances: psRows(Object.values(state.instances), new Map(), at ?? 0)
          }
        })
      )
      .handle("stream", ({ urlParams }) =>
        Effect.gen(function* () {
          const request = yield* HttpServerRequest.HttpServerRequest
          // Resuming wins over where the first connection asked to start; neither: from now on.
          const filter = yield* filterOf(urlParams, lastEventId(request.headers["last-event-id"]) ?? urlParams.after)
          return HttpServerResponse.raw(hub.open(filter), { contentType: "text/event-stream", headers: SSE_HEADERS })
        })
      )
  })
)
