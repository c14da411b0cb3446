import { HttpServerResponse } from "@effect/platform"
import { Chunk, Schedule, Stream } from "effect"

/** How often an idle stream says it is alive: proxies and browsers drop a silent connection. */
export const HEARTBEAT_MS = 15_000

export interface Message {
  readonly id?: number
  readonly event?: string
  readonly data: string
}

/** A field's value on one line: a newline inside would end the field early. */
const dataLines = (data: string) => data.split(/\r\n|\r|\n/).map((line) => `data: ${line}\n`).join("")

export const formatMessage = (message: Message) =>
  `${message.id === undefined ? "" : `id: ${message.id}\n`}${message.event === undefined ? "" : `event: ${message.event}\n`}${dataLines(message.data)}\n`

/** What an idle stream says every HEARTBEAT_MS. */
export const HEARTBEAT = ": heartbeat\n\n"
/** The first bytes of a stream: the client knows it is connected before any event comes. */
export const CONNECTED = ": connected\n\n"

/** The headers of an event stream: no cache, and no proxy buffering (nginx) that would hold events back. */
export const SSE_HEADERS = { "cache-control": "no-cache", "x-accel-buffering": "no" }

/**
 * A server-sent event stream: pulled as the client reads (a slow one holds back its source, which
 * buffers nothing), ended when the client goes, with a comment every HEARTBEAT_MS.
 */
export const sse = <E>(messages: Stream.Stream<Message, E>) =>
  HttpServerResponse.stream(
    Stream.merge(
      messages.pipe(Stream.map(formatMessage)),
      Stream.fromSchedule(Schedule.spaced(HEARTBEAT_MS)).pipe(Stream.map(() => HEARTBEAT)),
      { haltStrategy: "left" }
    ).pipe(Stream.prepend(Chunk.of(CONNECTED)), Stream.encodeText),
    { contentType: "text/event-stream", headers: SSE_HEADERS }
  )
