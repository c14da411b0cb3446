import type * as http from "node:http"
import { pipeline } from "node:stream"
import { Cookies } from "@effect/platform"
import { Either, Schema } from "effect"
import { sameToken } from "../runtime/api-token.js"
import { StreamParams, TOKEN_COOKIE } from "./api.js"
import { allowedHosts, type Guard, NO_SNIFF } from "./auth.js"
import type { EventHub } from "./event-hub.js"
import { filterOf, lastEventId } from "./events.js"
import { SSE_HEADERS } from "./sse.js"

const STREAM_PATH = "/api/v1/events/stream"
const decodeParams = Schema.decodeUnknownEither(StreamParams)

/**
 * `GET /api/v1/events/stream`, answered by node's server itself when the request is one the API
 * would answer with a stream: its Host, its token (header or cookie) and its parameters checked
 * by the API's own rules. Any other request, a refused one included, goes on to the API, which
 * says what is wrong in its error shape. Why: Effect's server keeps a fiber, with every
 * middleware's frames, for as long as a response lasts, and for an idle event stream that was
 * most of what it cost the daemon (bench/RESULTS.md, issue 17).
 */
export const directStreams = (guard: Guard, hub: EventHub["Type"]) => {
  const hosts = allowedHosts(guard)
  const admitted = (request: http.IncomingMessage) => {
    if (guard.token === undefined) return true
    const bearer = /^Bearer (.*)$/.exec(request.headers.authorization ?? "")?.[1]
    const given = bearer ?? Cookies.parseHeader(request.headers.cookie ?? "")[TOKEN_COOKIE]
    return given !== undefined && sameToken(given, guard.token)
  }
  /** Whether it answered: false leaves the request to the API. */
  return (request: http.IncomingMessage, response: http.ServerResponse): boolean => {
    const host = request.headers.host ?? ""
    if (request.method !== "GET" || !hosts.has(host.toLowerCase())) return false
    const url = new URL(request.url ?? "/", `http://${host}`)
    if (url.pathname !== STREAM_PATH || url.searchParams.has("token") || !admitted(request)) return false
    const query = [...url.searchParams]
    // A repeated parameter is a list to the API's decoding, which refuses it: left to say so.
    if (new Set(query.map(([key]) => key)).size !== query.length) return false
    const params = decodeParams(Object.fromEntries(query))
    if (Either.isLeft(params)) return false
    const resumed = request.headers["last-event-id"]
    const filter = filterOf(params.right, lastEventId(typeof resumed === "string" ? resumed : undefined) ?? params.right.after)
    if (Either.isLeft(filter)) return false
    response.writeHead(200, { "content-type": "text/event-stream", ...SSE_HEADERS, ...NO_SNIFF })
    // Ends when the client goes (the hub then forgets the stream) or the daemon closes its connections.
    pipeline(hub.open(filter.right), response, () => {})
    return true
  }
}
