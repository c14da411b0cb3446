import type * as http from "node:http"
import type { Readable } from "node:stream"
import { type Dispatcher, Pool } from "undici"
import { type Usage, carriesToken, usageOf } from "../../domain/usage.js"
import { makeTail } from "./tail.js"

/**
 * One request passed to a llama-server and its answer passed back as it comes (STYLE.md: a proxy
 * does not buffer): each chunk is written to the client when it arrives, the upstream is paused
 * while the client's socket is full, and a client that leaves cancels the upstream request, which
 * llama-server takes as the end of its task.
 */

/** Headers of one hop, never passed on (RFC 9110 §7.6.1), and those the gateway sets itself. */
const HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "host", "content-length", "authorization", "expect"])

export interface Sent {
  readonly method: string
  readonly path: string
  readonly headers: http.IncomingHttpHeaders
  /** The body read whole (the gateway read `model` from it), or the client's request itself (/upstream/). */
  readonly body: Buffer | Readable | null
  /** The instance's own --api-key, sent as its Bearer. */
  readonly apiKey: string | undefined
}

export type Forwarded =
  /** Nothing reached the server (it was gone, or going): nothing was sent to the client either. */
  | { readonly _tag: "Unreached"; readonly reason: string }
  | {
    readonly _tag: "Answered"
    /** 0 when the client left before the answer began. */
    readonly status: number
    readonly streamed: boolean
    readonly ttftMs: number | null
    readonly usage: Usage
    readonly error?: string
  }

const NO_USAGE: Usage = { prompt_tokens: null, completion_tokens: null, tokens_per_second: null }

const headersFor = (sent: Sent, length: number | undefined): Record<string, string | Array<string>> => {
  const headers: Record<string, string | Array<string>> = {}
  for (const [key, value] of Object.entries(sent.headers)) if (value !== undefined && !HOP.has(key)) headers[key] = value
  if (sent.apiKey !== undefined) headers["authorization"] = `Bearer ${sent.apiKey}`
  if (length !== undefined) headers["content-length"] = String(length)
  return headers
}

const answerHeaders = (headers: Record<string, string | Array<string> | undefined>, streamed: boolean) => {
  const out: Record<string, string | Array<string>> = {}
  for (const [key, value] of Object.entries(headers)) if (value !== undefined && key !== "connection" && key !== "keep-alive" && key !== "transfer-encoding") out[key] = value
  // An event stream through nginx and its like must not wait in their buffers either.
  if (streamed) out["x-accel-buffering"] = "no"
  return out
}

const causeOf = (error: unknown) => {
  const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? cause?.code
  return code === "ECONNREFUSED" ? "connection refused" : code === "UND_ERR_SOCKET" || code === "ECONNRESET" ? "the server closed the connection" : String((error as Error | undefined)?.message ?? error)
}

/**
 * Where the servers' answers are read into. Node gives every read of a socket a new 64 KiB
 * buffer, which the daemon's malloc tuning (runtime/daemon-env.ts) maps and unmaps each time:
 * a streamed token is a read of its own. Read here instead, and only the bytes read are copied
 * out (a small copy comes from node's shared pool). One buffer serves every socket: a read is
 * copied out before the next one begins.
 */
const READ_INTO = Buffer.allocUnsafe(64 * 1024)
const readOptions = {
  onread: {
    buffer: READ_INTO,
    // Called as the socket's method; false (its buffer is full) stops reading until it is read.
    callback: function (this: Readable, length: number, into: Uint8Array) {
      return this.push(Buffer.from(into.subarray(0, length)))
    }
  }
}

/** The pools of kept-alive connections, one per server address. */
export const makePools = () => {
  const pools = new Map<string, Pool>()
  return {
    of: (origin: string) => {
      let pool = pools.get(origin)
      if (pool === undefined) {
        // No timeouts of undici's own: a long generation may be silent for minutes (prompt processing).
        pool = new Pool(origin, { connections: null, headersTimeout: 0, bodyTimeout: 0, keepAliveTimeout: 30_000, connect: readOptions })
        pools.set(origin, pool)
      }
      return pool
    },
    close: () => Promise.all([...pools.values()].map((pool) => pool.destroy())).then(() => pools.clear())
  }
}

/**
 * Sends `sent` through `pool` and writes what comes back to `response`. Resolves when the answer
 * has ended, whichever way. A server that ends in the middle of an event stream leaves the
 * client an error event, then the end of the stream, which OpenAI's SDKs raise as an error.
 */
export const forward = async (pool: Pool, sent: Sent, response: http.ServerResponse, serverName: string): Promise<Forwarded> => {
  const started = performance.now()
  const controller = new AbortController()
  const left = () => controller.abort()
  response.once("close", left)
  const length = Buffer.isBuffer(sent.body) ? sent.body.length : typeof sent.headers["content-length"] === "string" ? Number(sent.headers["content-length"]) : undefined
  let answer: Awaited<ReturnType<Pool["request"]>>
  try {
    answer = await pool.request({ method: sent.method as Dispatcher.HttpMethod, path: sent.path, headers: headersFor(sent, length), body: sent.body, signal: controller.signal })
  } catch (error) {
    response.off("close", left)
    if (controller.signal.aborted) return { _tag: "Answered", status: 0, streamed: false, ttftMs: null, usage: NO_USAGE, error: "the client left before the answer began" }
    return { _tag: "Unreached", reason: causeOf(error) }
  }
  const streamed = String(answer.headers["content-type"] ?? "").startsWith("text/event-stream")
  response.writeHead(answer.statusCode, answerHeaders(answer.headers, streamed))
  if (streamed) response.flushHeaders()
  const tail = makeTail()
  let ttftMs: number | null = null
  const body = answer.body
  const resume = () => body.resume()
  response.on("drain", resume)
  body.on("data", (chunk: Buffer) => {
    if (ttftMs === null && streamed && carriesToken(chunk.toString("utf8"))) ttftMs = Math.round(performance.now() - started)
    tail.add(chunk)
    if (!response.write(chunk)) body.pause()
  })
  const error = await new Promise<string | undefined>((resolve) => {
    body.once("end", () => resolve(undefined))
    body.once("error", (cause) => resolve(controller.signal.aborted ? "the client left during the answer" : causeOf(cause)))
  })
  response.off("drain", resume)
  response.off("close", left)
  if (error !== undefined && !controller.signal.aborted) {
    if (streamed) {
      const said = { error: { message: `${serverName} ended in the middle of the answer (${error}); the daemon restarts it`, type: "server_error", code: 502 } }
      response.end(`data: ${JSON.stringify(said)}\n\n`)
    } else {
      response.destroy()
    }
  } else {
    response.end()
  }
  // node writes an answer's last bytes on its next tick, which comes only after the promise jobs
  // queued meanwhile: the usage read here and the record the caller makes would go first.
  await new Promise<void>((resolve) => setImmediate(resolve))
  return { _tag: "Answered", status: answer.statusCode, streamed, ttftMs, usage: usageOf(tail.bytes().toString("utf8")), ...(error === undefined ? {} : { error }) }
}
