import type * as http from "node:http"
import type { EventOf } from "../../domain/events.js"
import { openAiError, routeFor } from "../../domain/gateway.js"
import { apiKeyOf } from "../../domain/health.js"
import type { State } from "../../domain/instances.js"
import type { Settings } from "../../domain/settings.js"
import { sameToken } from "../../runtime/api-token.js"
import { probeOrigin } from "../../runtime/prober.js"
import type { Admission, Admitted } from "./admission.js"
import { forward, type Forwarded, makePools } from "./proxy.js"
import type { Routed, RouteTable } from "./routes.js"

/**
 * The gateway's door (DESIGN.md §9): OpenAI's and llama-server's endpoints on the daemon's
 * listener, the `model` of each request naming the instance, and `/upstream/NAME/...` passed to
 * one instance as it is. Answered by node's server itself, as the event streams are: a proxied
 * byte goes through no framework.
 */

/** llama-server's endpoints that name a model, as it spells them (with and without /v1). */
const MODEL_PATHS = new Set([
  "/v1/chat/completions", "/chat/completions", "/v1/completions", "/completions", "/v1/embeddings", "/embeddings",
  "/v1/rerank", "/rerank", "/v1/reranking", "/reranking", "/completion", "/infill", "/tokenize", "/detokenize"
])

/** A request body may hold images (base64) for a multimodal model; past this it is refused. */
const MAX_BODY_BYTES = 32 * 1024 * 1024

export interface GatewayDeps {
  readonly state: () => State
  readonly table: RouteTable
  readonly admission: Admission
  readonly settings: Settings["gateway"]
  /** Host names it answers to when it asks for no key (a DNS-rebinding page comes with its own name). */
  readonly hosts: ReadonlySet<string>
  readonly served: (instance: string, event: EventOf<"RequestServed">) => void
}

const sendJson = (response: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  const text = JSON.stringify(body)
  response.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": String(Buffer.byteLength(text)), ...headers })
  response.end(text)
}

type Body = { readonly _tag: "Read"; readonly bytes: Buffer } | { readonly _tag: "TooLarge" } | { readonly _tag: "Gone" }

const readBody = (request: http.IncomingMessage): Promise<Body> =>
  new Promise((resolve) => {
    const chunks: Array<Buffer> = []
    let size = 0
    request.on("data", (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY_BYTES) {
        request.removeAllListeners("data")
        request.resume()
        return resolve({ _tag: "TooLarge" })
      }
      chunks.push(chunk)
    })
    request.once("end", () => resolve({ _tag: "Read", bytes: Buffer.concat(chunks) }))
    request.once("error", () => resolve({ _tag: "Gone" }))
    request.once("close", () => resolve({ _tag: "Gone" }))
  })

export const makeGateway = (deps: GatewayDeps) => {
  const { table, admission, settings } = deps
  const pools = makePools()

  const authorized = (request: http.IncomingMessage) => {
    if (settings.api_keys.length === 0) return deps.hosts.has((request.headers.host ?? "").toLowerCase())
    const given = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1]
    return given !== undefined && settings.api_keys.some((key) => sameToken(given, key))
  }

  /** The server to send to: the config it was started with while it runs, else the one on disk. */
  const upstreamOf = (route: Routed) => {
    const instance = deps.state().instances[route.name]
    const config = instance?.pid != null && instance.decoded_config !== null ? instance.decoded_config : route.config
    return { origin: probeOrigin(config), apiKey: apiKeyOf(config.args, config.env), pid: instance?.pid ?? null }
  }

  const models = (response: http.ServerResponse) => {
    const instances = deps.state().instances
    const data = table.current().map((route) => {
      const instance = instances[route.name]
      return {
        id: route.name,
        object: "model",
        created: Math.floor((instance?.started_at ?? 0) / 1000),
        owned_by: "llama-orchestrator",
        aliases: route.gateway.aliases,
        status: instance?.status ?? "stopped",
        health: instance?.health ?? "unknown",
        on_demand: route.gateway.on_demand,
        ...(route.gateway.group === undefined ? {} : { group: route.gateway.group })
      }
    })
    sendJson(response, 200, { object: "list", data })
  }

  const refuse = (response: http.ServerResponse, failed: Exclude<Admitted, { ok: true }>) => {
    if (failed.status === 0) return
    const type = failed.status === 429 ? "rate_limit_error" : "server_error"
    sendJson(response, failed.status, openAiError(failed.message, type), { "retry-after": failed.status === 429 ? "1" : "5" })
  }

  /** Admits, forwards (once more if the server was gone before it got the request), records. */
  const pass = async (route: Routed, request: http.IncomingMessage, response: http.ServerResponse, path: string, endpoint: string, body: Buffer | null) => {
    const started = performance.now()
    const controller = new AbortController()
    response.once("close", () => {
      if (!response.writableFinished) controller.abort()
    })
    const record = (forwarded: Forwarded | undefined, status: number, queuedMs: number, error?: string) => {
      const answered = forwarded?._tag === "Answered" ? forwarded : undefined
      deps.served(route.name, {
        _tag: "RequestServed",
        endpoint,
        status,
        streamed: answered?.streamed ?? false,
        duration_ms: Math.round(performance.now() - started),
        queued_ms: queuedMs,
        ttft_ms: answered?.ttftMs ?? null,
        prompt_tokens: answered?.usage.prompt_tokens ?? null,
        completion_tokens: answered?.usage.completion_tokens ?? null,
        tokens_per_second: answered?.usage.tokens_per_second ?? null,
        ...(error === undefined ? {} : { error })
      })
    }
    let queuedMs = 0
    for (let attempt = 0; attempt < 2; attempt++) {
      const admitted = await admission.admit(route, controller.signal)
      if (!admitted.ok) {
        refuse(response, admitted)
        return record(undefined, admitted.status, Math.round(performance.now() - started), admitted.message)
      }
      queuedMs += admitted.queuedMs
      const upstream = upstreamOf(route)
      let forwarded: Forwarded
      try {
        forwarded = await forward(pools.of(upstream.origin), { method: request.method ?? "POST", path, headers: request.headers, body: body ?? request, apiKey: upstream.apiKey }, response, route.name)
      } finally {
        admission.release(route.name)
      }
      if (forwarded._tag === "Answered") return record(forwarded, forwarded.status, queuedMs, forwarded.error)
      // Nothing reached it: it died or is being restarted, and the state has not said so yet. Wait
      // for the state to say so, then once more as any request arriving during a restart does.
      if (attempt === 0 && body !== null && (await admission.moved(route.name, upstream.pid, controller.signal))) continue
      const message = `${route.name} did not take the request: ${forwarded.reason}`
      sendJson(response, 502, openAiError(message, "server_error"))
      return record(forwarded, 502, queuedMs, message)
    }
  }

  const byModel = async (request: http.IncomingMessage, response: http.ServerResponse, path: string, endpoint: string) => {
    const body = await readBody(request)
    if (body._tag === "Gone") return
    if (body._tag === "TooLarge") return sendJson(response, 413, openAiError(`the request body is over ${MAX_BODY_BYTES / 1024 / 1024} MiB`, "invalid_request_error"))
    let model: unknown
    try {
      model = (JSON.parse(body.bytes.toString("utf8")) as { model?: unknown } | null)?.model
    } catch (error) {
      return sendJson(response, 400, openAiError(`the request body is not JSON: ${(error as Error).message}`, "invalid_request_error"))
    }
    const names = () => table.current().map((route) => route.name).join(", ") || "none (no instance has a config)"
    if (typeof model !== "string" || model === "") {
      return sendJson(response, 400, openAiError(`the request names no model: set "model" to one of ${names()} (GET /v1/models lists them), or send it to /upstream/NAME${endpoint}`, "invalid_request_error", "model_not_found"))
    }
    const route = routeFor(model, table.current()) ?? routeFor(model, await table.fresh(true))
    if (route === undefined) return sendJson(response, 404, openAiError(`the model "${model}" does not exist here: the models are ${names()} (an instance's name, or one of its gateway.aliases)`, "invalid_request_error", "model_not_found"))
    await pass(route, request, response, path, endpoint, body.bytes)
  }

  const upstream = async (request: http.IncomingMessage, response: http.ServerResponse, path: string) => {
    const match = /^\/upstream\/([^/?]+)(\/[^?]*)?(\?.*)?$/.exec(path)
    const name = match?.[1] === undefined ? "" : decodeURIComponent(match[1])
    const route = table.current().find((candidate) => candidate.name === name) ?? (await table.fresh(true)).find((candidate) => candidate.name === name)
    if (match === null || route === undefined) {
      return sendJson(response, 404, openAiError(`no instance "${name}" to pass the request to: /upstream/NAME/PATH, NAME one of ${table.current().map((candidate) => candidate.name).join(", ") || "none"}`, "invalid_request_error", "model_not_found"))
    }
    const rest = match[2] ?? "/"
    await pass(route, request, response, `${rest}${match[3] ?? ""}`, rest, null)
  }

  return {
    /** Whether it answered: false leaves the request to the rest of the listener. */
    handle: (request: http.IncomingMessage, response: http.ServerResponse): boolean => {
      const url = request.url ?? "/"
      const query = url.indexOf("?")
      const pathname = query < 0 ? url : url.slice(0, query)
      const method = request.method ?? "GET"
      const kind = method === "POST" && MODEL_PATHS.has(pathname)
        ? "model"
        : (pathname === "/v1/models" || pathname === "/models") && method === "GET"
          ? "models"
          : pathname.startsWith("/upstream/")
            ? "upstream"
            : undefined
      if (kind === undefined) return false
      if (!authorized(request)) {
        const message = settings.api_keys.length === 0
          ? `this gateway answers only to the Host names of this machine, not ${JSON.stringify(request.headers.host ?? "")}`
          : "a gateway key is needed: send `Authorization: Bearer KEY` with one of orch.json's gateway.api_keys"
        sendJson(response, 401, openAiError(message, "invalid_request_error", "invalid_api_key"))
        return true
      }
      const served = kind === "models" ? Promise.resolve(models(response)) : kind === "model" ? byModel(request, response, url, pathname) : upstream(request, response, url)
      served.catch((error: unknown) => {
        if (!response.headersSent) sendJson(response, 500, openAiError(`the gateway failed: ${String((error as Error | undefined)?.message ?? error)}`, "server_error"))
        else response.destroy()
      })
      return true
    },
    close: () => pools.close()
  }
}
