import { HttpApp, HttpIncomingMessage, HttpMiddleware, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect, Layer, Option, Redacted } from "effect"
import { sameToken } from "../runtime/api-token.js"
import { Authorized, TOKEN_COOKIE } from "./api.js"
import { Forbidden, Unauthorized } from "./errors.js"

/**
 * A local port is reachable by every web page the user opens (DESIGN.md §9): the API asks for the
 * daemon's token, answers only to Host names of this machine (a DNS-rebinding page comes with
 * its own name), and sends no CORS headers, so a page elsewhere cannot read what it answers.
 */

/** How the daemon checks requests: its token, or none (orch.json `http.auth: "none"`, loopback only). */
export interface Guard {
  readonly token: string | undefined
  readonly port: number
  readonly host: string
}

const HOW = "send `Authorization: Bearer <token>`; `orch api` prints the token, and a URL that lets a browser in"

const missing = new Unauthorized({ message: "this needs the daemon's token", hint: HOW })
const wrong = new Unauthorized({ message: "the token is not this daemon's", hint: `${HOW} (a daemon keeps its token in journal/api.token of its home)` })

const checkToken = (guard: Guard, given: Redacted.Redacted<string>) => {
  const value = Redacted.value(given)
  if (guard.token === undefined) return Effect.void
  if (value === "") return Effect.fail(missing)
  return sameToken(value, guard.token) ? Effect.void : Effect.fail(wrong)
}

const SAFE = new Set(["GET", "HEAD", "OPTIONS"])

export const AuthorizedLive = (guard: Guard) =>
  Layer.succeed(Authorized, {
    bearer: (token) => checkToken(guard, token),
    // A cookie comes with every request the browser makes to this host, whichever page asks: a
    // request that changes something must come from a page of this origin (SameSite does not
    // separate ports of one host).
    cookie: (token) =>
      Effect.gen(function* () {
        const request = yield* HttpServerRequest.HttpServerRequest
        if (Redacted.value(token) === "" && request.headers["authorization"] !== undefined && guard.token !== undefined) return yield* wrong
        yield* checkToken(guard, token)
        const origin = request.headers["origin"]
        if (!SAFE.has(request.method) && origin !== undefined && origin !== `http://${request.headers["host"]}`) {
          return yield* new Forbidden({ message: `a page of ${origin} may not change anything here`, hint: "call the API with the Bearer token, or use the console this daemon serves" })
        }
      })
  })

const bracketed = (host: string) => (host.includes(":") ? `[${host}]` : host)

/** The Host names this daemon answers to: loopback names and the address it is bound to, with its port. */
export const allowedHosts = (guard: Guard) =>
  new Set(["127.0.0.1", "localhost", "[::1]", bracketed(guard.host)].map((host) => `${host}:${guard.port}`))

/** The most a request body may be: a config is a few KB; anything near this is a mistake or an attack. */
const MAX_BODY_BYTES = 1024 * 1024

/** On every answer: a browser takes it as the type it says, never as a script or a page it guesses. */
export const NO_SNIFF = { "x-content-type-options": "nosniff" }

const errorBody = (status: number, tag: string, message: string, hint: string) =>
  HttpServerResponse.unsafeJson({ _tag: tag, message, hint }, { status, headers: { "cache-control": "no-store", ...NO_SNIFF } })

interface DecodeIssue {
  readonly path: ReadonlyArray<PropertyKey>
  readonly message: string
}

/**
 * A request Effect's decoding refused, said as BadRequest: each field and what is wrong with it,
 * rather than the schema's tree (written for developers). Optional fields add a second issue,
 * "Expected undefined", to every refusal: it says nothing to whoever sent the value.
 */
const inWords = (response: HttpServerResponse.HttpServerResponse) => {
  if (response.status !== 400) return response
  // Effect's own answer to a body it could not read (not JSON, or over the limit): no body at all.
  if (response.body._tag === "Empty") return errorBody(400, "BadRequest", "the request body could not be read: it is not JSON, or it is too large", "send the JSON GET /api/v1/openapi.json describes, as Content-Type: application/json")
  if (response.body._tag !== "Uint8Array") return response
  let body: { readonly _tag?: unknown; readonly issues?: ReadonlyArray<DecodeIssue> }
  try {
    body = JSON.parse(new TextDecoder().decode(response.body.body))
  } catch {
    return response
  }
  if (body._tag !== "HttpApiDecodeError" || body.issues === undefined) return response
  const issues = body.issues.filter((issue) => !issue.message.startsWith("Expected undefined"))
  const said = (issues.length > 0 ? issues : body.issues).map((issue) => `${issue.path.length === 0 ? "the request" : issue.path.map(String).join(".")}: ${issue.message}`)
  return errorBody(400, "BadRequest", said.join("; "), "GET /api/v1/openapi.json says what each endpoint takes")
}

/**
 * What every request passes first: its Host, a token URL's exchange for a cookie, and an answer in
 * the API's error shape for a path that is not there.
 */
export const guarded = (guard: Guard) => {
  const hosts = allowedHosts(guard)
  return HttpMiddleware.make((app) =>
    Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      const host = request.headers["host"] ?? ""
      if (!hosts.has(host.toLowerCase())) {
        return errorBody(403, "Forbidden", `this daemon does not answer to the Host "${host}"`, `use http://127.0.0.1:${guard.port}/ (a page under another name may be a DNS-rebinding attack)`)
      }
      const url = new URL(request.url, `http://${host}`)
      const given = url.searchParams.get("token")
      if (given !== null && guard.token !== undefined && request.method === "GET") {
        if (!sameToken(given, guard.token)) return errorBody(401, "Unauthorized", "the token in this URL is not this daemon's", "open the URL `orch api` prints now")
        url.searchParams.delete("token")
        // Once: the token leaves the address bar and the history, and lives on as an HttpOnly cookie.
        return yield* HttpServerResponse.redirect(`${url.pathname}${url.search}`, { status: 303 }).pipe(
          HttpServerResponse.setCookie(TOKEN_COOKIE, guard.token, { httpOnly: true, sameSite: "strict", path: "/" }),
          Effect.orDie
        )
      }
      const length = Number(request.headers["content-length"] ?? 0)
      if (length > MAX_BODY_BYTES) {
        return errorBody(413, "TooLarge", `the request body is ${length} bytes, more than the ${MAX_BODY_BYTES} this daemon reads`, "a config is a few KB: send only the config")
      }
      const notHere = errorBody(404, "NotFound", `no ${request.method} ${url.pathname} here`, "GET /api/v1/openapi.json lists what there is")
      // The app sends its own answer (an error too, as Effect's server turns it into one) before
      // this middleware sees it: what every answer should say is added as a pre-response handler.
      return yield* app.pipe(
        HttpIncomingMessage.withMaxBodySize(Option.some(MAX_BODY_BYTES)),
        HttpApp.withPreResponseHandler((_, response) =>
          Effect.succeed(
            HttpServerResponse.setHeaders(response.status === 404 && response.body._tag === "Empty" ? notHere : inWords(response), NO_SNIFF)
          )
        )
      )
    })
  )
}

/** For the routes outside the HttpApi (its document and docs page): the same token, by header or cookie. */
export const requireToken = (guard: Guard) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const bearer = /^Bearer (.*)$/.exec(request.headers["authorization"] ?? "")?.[1]
    const given = bearer ?? request.cookies[TOKEN_COOKIE] ?? ""
    return yield* checkToken(guard, Redacted.make(given))
  })
