import { HttpServerResponse } from "@effect/platform"
import { Chunk, Option, Schedule, Stream } from "effect"

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

const HEARTBEAT = ": heartbeat\n\n"

const respond = <E>(text: Stream.Stream<string, E>) =>
  HttpServerResponse.stream(text.pipe(Stream.prepend(Chunk.of(": connected\n\n")), Stream.encodeText), {
    contentType: "text/event-stream",
    headers: { "cache-control": "no-cache", "x-accel-buffering": "no" }
  })

/**
 * A server-sent event stream: pulled as the client reads (a slow one holds back its source, which
 * buffers nothing), ended when the client goes, with a comment every HEARTBEAT_MS.
 */
export const sse = <E>(messages: Stream.Stream<Message, E>) =>
  respond(
    Stream.merge(
      messages.pipe(Stream.map(formatMessage)),
      Stream.fromSchedule(Schedule.spaced(HEARTBEAT_MS)).pipe(Stream.map(() => HEARTBEAT)),
      { haltStrategy: "left" }
    )
  )

/**
 * The same for a source that says itself when it is idle (None: the feed's shared heartbeat):
 * no timer and no merge per client, which were most of what an idle client cost the daemon.
 */
export const sseBeating = <E>(messages: Stream.Stream<Option.Option<Message>, E>) =>
  respond(messages.pipe(Stream.map(Option.match({ onNone: () => HEARTBEAT, onSome: formatMessage }))))
