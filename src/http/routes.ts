import * as fs from "node:fs"
import * as path from "node:path"
import { HttpApiBuilder, HttpServerResponse, OpenApi } from "@effect/platform"
import { Effect } from "effect"
import { journalFile } from "../config/home.js"
import { DaemonState } from "../runtime/daemon-state.js"
import { Api } from "./api.js"
import { type Guard, requireToken } from "./auth.js"

/** The routes outside the HttpApi: its OpenAPI document, its docs page, and /metrics. */

/**
 * Scalar's standalone script, from @effect/platform's HttpApiScalar, written beside the bundle at
 * build time (scripts/build.mjs): served from here, so the docs work offline, and kept out of the
 * bundle every CLI command loads.
 */
const SCALAR = "api-docs.js"

const scalarScript = () => path.join(typeof __dirname === "string" ? __dirname : path.resolve("dist"), SCALAR)

/**
 * Effect names every Schema.Unknown `$id: "/schemas/unknown"`: several such fields give one `$id`
 * several times, which OpenAPI validators refuse. The document refers by `$ref` only, so the ids go.
 */
const withoutIds = <A>(value: A): A =>
  Array.isArray(value)
    ? (value.map(withoutIds) as A)
    : typeof value === "object" && value !== null
      ? (Object.fromEntries(Object.entries(value).filter(([key]) => key !== "$id").map(([key, inner]) => [key, withoutIds(inner)])) as A)
      : value

const escapeJson = (value: unknown) => JSON.stringify(value).replace(/</g, "\\u003c")

const docsPage = (spec: OpenApi.OpenAPISpec) => `<!doctype html>
<html>
  <head>
    <meta charset="utf-8" />
    <title>${spec.info.title} API</title>
    <meta name="viewport" content="width=device-width, initial-scale=1" />
  </head>
  <body>
    <script id="api-reference" type="application/json">${escapeJson(spec)}</script>
    <script>document.getElementById("api-reference").dataset.configuration = JSON.stringify({ _integration: "html" })</script>
    <script src="/api/docs/${SCALAR}"></script>
  </body>
</html>`

const sizeOf = (file: string) => {
  try {
    return fs.statSync(file).size
  } catch {
    return 0
  }
}

export const RoutesLive = (guard: Guard) =>
  HttpApiBuilder.Router.use((router) =>
    Effect.gen(function* () {
      const daemon = yield* DaemonState
      const spec = withoutIds(OpenApi.fromApi(Api))
      const authorized = <A, E, R>(handler: Effect.Effect<A, E, R>) =>
        requireToken(guard).pipe(
          Effect.matchEffect({
            onFailure: (error) => Effect.succeed(HttpServerResponse.unsafeJson({ _tag: error._tag, message: error.message, hint: error.hint }, { status: 401 })),
            onSuccess: () => handler
          })
        )
      yield* router.get("/api/v1/openapi.json", authorized(HttpServerResponse.json(spec)))
      yield* router.get("/api/docs", authorized(Effect.succeed(HttpServerResponse.html(docsPage(spec)))))
      yield* router.get(
        `/api/docs/${SCALAR}`,
        HttpServerResponse.file(scalarScript(), { contentType: "text/javascript; charset=utf-8" }).pipe(
          Effect.map(HttpServerResponse.setHeader("cache-control", "public, max-age=86400")),
          Effect.orDie
        )
      )
      yield* router.get(
        "/metrics",
        Effect.gen(function* () {
          const file = journalFile(daemon.home)
          const text = yield* Effect.promise(() =>
            daemon.metrics.render(daemon.folded.state, {
              journalSeq: daemon.folded.state.seq,
              journalBytes: sizeOf(file) + sizeOf(`${file}-wal`),
              tailLagSeconds: daemon.tailLag.seconds
            })
          )
          return HttpServerResponse.text(text, { contentType: daemon.metrics.contentType })
        })
      )
    })
  )
