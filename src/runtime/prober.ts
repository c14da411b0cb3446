import { Cause, Clock, Context, Effect, Layer, type Scope } from "effect"
import { Client, type Dispatcher, errors } from "undici"
import type { InstanceConfig } from "../domain/config.js"
import type { EventOf } from "../domain/events.js"
import { type Deep, apiKeyOf, classifyAnswer, classifyDeep, deepRequest, servesAlias } from "../domain/health.js"
import { makeTimeLimit } from "./time-limit.js"

type Probed = EventOf<"HealthProbed">

const WILDCARDS = new Set(["0.0.0.0", "::", "*"])

/** Where to reach a server: a wildcard listener answers on loopback. */
export const probeOrigin = (config: InstanceConfig) => {
  const host = WILDCARDS.has(config.server.host) ? "127.0.0.1" : config.server.host
  return `http://${host.includes(":") ? `[${host}]` : host}:${config.server.port}`
}

interface Answer {
  readonly status: number
  readonly body: string
}

const failure = (error: unknown, timeoutMs: number): Pick<Probed, "result" | "reason"> => {
  const code = (error as { code?: string }).code ?? ""
  if (error instanceof Cause.TimeoutException || error instanceof errors.ConnectTimeoutError) {
    return { result: "timeout", reason: `no answer in ${timeoutMs} ms` }
  }
  if (code === "ECONNREFUSED") return { result: "unreachable", reason: "connection refused" }
  return { result: "unreachable", reason: code !== "" ? code : String((error as Error).message ?? error) }
}

/**
 * One instance's health prober: GET healthcheck.path over a kept-alive connection. A 404 falls
 * back to /v1/health once and the path that works is kept. The first success after a start is
 * checked against GET /v1/models: a different server answering on our port is an error. With
 * healthcheck.deep, an ok is confirmed by a request through the server's task queue.
 */
export const makeProber = (name: string, config: InstanceConfig) =>
  Effect.gen(function* () {
    const timeout = config.healthcheck.timeout
    const client = yield* Effect.acquireRelease(
      // pipelining 1, not 0: 0 turns keep-alive off, and a new connection per probe costs both sides.
      Effect.sync(() => new Client(probeOrigin(config), {
        pipelining: 1, connect: { timeout }, headersTimeout: timeout * 2, bodyTimeout: timeout * 2,
        keepAliveTimeout: Math.max(config.healthcheck.interval * 2, 10_000)
      })),
      (client) => Effect.promise(() => client.destroy().catch(() => undefined))
    )
    let path = config.healthcheck.path
    let triedFallback = false
    let identityChecked = false

    const apiKey = apiKeyOf(config.args, config.env)
    const headers: Record<string, string> = apiKey === undefined ? {} : { authorization: `Bearer ${apiKey}` }
    const jsonHeaders = { ...headers, "content-type": "application/json" }
    const limit = yield* makeTimeLimit(timeout)
    /**
     * One request on the kept-alive connection. undici's dispatch with a handler of our own: a
     * hundred servers probed every second made request()'s body stream and AbortSignal a third
     * of the daemon's work. Bounded by Effect's clock; past the limit, or when interrupted, the
     * request is aborted, and undici drops the connection of an aborted request, so a hung server
     * cannot block the next probe. undici's own timeouts above 1 s are coarse (±0.5 s) and only a
     * backstop.
     */
    const call = (target: string, method: "GET" | "POST" = "GET", body?: string) =>
      limit<Answer, unknown>((resume) => {
        let controller: Dispatcher.DispatchController | undefined
        let stopped = false
        let status = 0
        const chunks: Array<Buffer> = []
        client.dispatch({ path: target, method, headers: body === undefined ? headers : jsonHeaders, body: body ?? null }, {
          onRequestStart: (started) => {
            controller = started
            if (stopped) started.abort(new Error("probe stopped"))
          },
          onResponseStart: (_, statusCode) => void (status = statusCode),
          onResponseData: (_, chunk) => void chunks.push(chunk),
          onResponseEnd: () => resume(Effect.succeed({ status, body: Buffer.concat(chunks).toString("utf8") })),
          onResponseError: (_, error) => resume(Effect.fail(error))
        })
        return () => {
          stopped = true
          controller?.abort(new Error("probe stopped"))
        }
      })

    /** /health can answer 200 from a server whose task queue is stuck: ask the queue itself. */
    const deepProbe = (deep: Deep, latencyBefore: number) =>
      Effect.gen(function* () {
        const request = deepRequest(deep)
        const started = yield* Clock.currentTimeMillis
        const answer = yield* Effect.either(call(request.path, request.method, request.body))
        const latency_ms = latencyBefore + (yield* Clock.currentTimeMillis) - started
        if (answer._tag === "Left") {
          const failed = failure(answer.left, timeout)
          return { _tag: "HealthProbed", status: null, latency_ms, path: request.path, result: failed.result, reason: `deep probe ${request.path}: ${failed.reason}` } satisfies Probed
        }
        const classified = classifyDeep(deep, answer.right.status, answer.right.body)
        if (classified.result === "ok") return undefined
        return { _tag: "HealthProbed", status: answer.right.status, latency_ms, path: request.path, result: classified.result, ...(classified.reason === undefined ? {} : { reason: classified.reason }) } satisfies Probed
      })

    const probe: Effect.Effect<Probed> = Effect.gen(function* () {
      const started = yield* Clock.currentTimeMillis
      const answer = yield* Effect.either(call(path))
      const latency_ms = (yield* Clock.currentTimeMillis) - started
      if (answer._tag === "Left") return { _tag: "HealthProbed", status: null, latency_ms, path, ...failure(answer.left, timeout) } satisfies Probed
      if (answer.right.status === 404 && !triedFallback && path !== "/v1/health") {
        triedFallback = true
        path = "/v1/health"
        return yield* probe
      }
      const classified = classifyAnswer(answer.right.status, answer.right.body)
      if (classified.result === "ok" && !identityChecked) {
        const models = yield* Effect.either(call("/v1/models"))
        const who = models._tag === "Right" ? servesAlias(models.right.body, name) : { ok: false, served: [] }
        // A 401 is our server asking for a key the daemon does not know (one in --api-key-file), not a stranger.
        const refused = models._tag === "Right" && models.right.status === 401
        if (!who.ok) {
          return {
            _tag: "HealthProbed", result: "error", status: answer.right.status, latency_ms, path,
            reason: refused
              ? `the server asks for an API key to list its models, and none it was given is in its args or env (give it with --api-key or LLAMA_API_KEY rather than --api-key-file)`
              : `another server answers on port ${config.server.port}: it serves ${who.served.join(", ") || "no model list"}, not "${name}"`
          } satisfies Probed
        }
        identityChecked = true
      }
      if (classified.result === "ok" && config.healthcheck.deep !== undefined) {
        const deepFailure = yield* deepProbe(config.healthcheck.deep, latency_ms)
        if (deepFailure !== undefined) return deepFailure
      }
      return { _tag: "HealthProbed", result: classified.result, status: answer.right.status, latency_ms, path, ...(classified.reason === undefined ? {} : { reason: classified.reason }) } satisfies Probed
    })
    return probe
  })

/**
 * How the daemon probes a server: a live layer over HTTP (makeProber) and an in-memory one that
 * answers from a fake server's script (prober-memory.ts), so that a daemon run in a test sees its
 * servers load, turn healthy or hang.
 */
export class Prober extends Context.Tag("llama-orch/Prober")<
  Prober,
  {
    /** One instance's probe, kept for as long as the scope (its connection lives there). */
    readonly make: (name: string, config: InstanceConfig) => Effect.Effect<Effect.Effect<Probed>, never, Scope.Scope>
  }
>() {}

export const ProberLive = Layer.succeed(Prober, Prober.of({ make: makeProber }))
