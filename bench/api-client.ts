/** Clients of the daemon's HTTP API for the benches: its address, an SSE reader and an open-loop load. */
import * as http from "node:http"
import { Pool } from "undici"

export interface Api {
  /** http://127.0.0.1:PORT/api/v1 */
  readonly url: string
  readonly token: string
}

export interface Message {
  readonly id: number | undefined
  readonly event: string | undefined
  readonly data: unknown
  /** performance.now() once the message was parsed. */
  readonly seenAt: number
}

export interface SseClient {
  readonly close: () => void
}

/**
 * An SSE client on /events/stream?after=AFTER (agent-less: a connection of its own): resolves once
 * the daemon's ": connected" comment is read, and calls `onMessage` with each event, its data parsed.
 */
export const sseClient = (api: Api, after: number, onMessage: (message: Message) => void) =>
  new Promise<SseClient>((resolve, reject) => {
    const request = http.get(
      `${api.url}/events/stream?after=${after}`,
      { agent: false, headers: { authorization: `Bearer ${api.token}`, accept: "text/event-stream" } },
      (response) => {
        if (response.statusCode !== 200) {
          response.resume()
          return reject(new Error(`events/stream answered ${response.statusCode}`))
        }
        response.setEncoding("utf8")
        let buffer = ""
        response.on("data", (chunk: string) => {
          buffer += chunk
          let end: number
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, end)
            buffer = buffer.slice(end + 2)
            if (block.startsWith(": connected")) resolve({ close: () => request.destroy() })
            if (block.startsWith(":")) continue
            let id: number | undefined
            let event: string | undefined
            const data: Array<string> = []
            for (const line of block.split("\n")) {
              if (line.startsWith("id: ")) id = Number(line.slice(4))
              else if (line.startsWith("event: ")) event = line.slice(7)
              else if (line.startsWith("data: ")) data.push(line.slice(6))
            }
            const parsed: unknown = JSON.parse(data.join("\n"))
            onMessage({ id, event, data: parsed, seenAt: performance.now() })
          }
        })
        response.on("error", () => undefined)
      }
    )
    request.on("error", (error) => reject(error))
  })

export interface Load {
  /** From each request's scheduled time to its whole body read, ms. */
  readonly latencies: Array<number>
  /** How late each request was sent after its scheduled time (the client's own lag), ms. */
  readonly lateness: Array<number>
  readonly failures: number
  readonly wallMs: number
}

/**
 * An open-loop load: `rate` GETs of `path` a second for `seconds`, each sent at its scheduled time
 * whether or not the ones before it have been answered (undici, keep-alive connections).
 */
export const openLoop = async (api: Api, path: string, rate: number, seconds: number): Promise<Load> => {
  const url = new URL(api.url)
  const pool = new Pool(url.origin, { connections: 16, pipelining: 1, keepAliveTimeout: 30_000 })
  const headers = { authorization: `Bearer ${api.token}` }
  const total = Math.round(rate * seconds)
  const period = 1_000 / rate
  const latencies: Array<number> = []
  const lateness: Array<number> = []
  let failures = 0
  const inFlight: Array<Promise<void>> = []
  const fire = (scheduled: number) => {
    lateness.push(performance.now() - scheduled)
    inFlight.push(
      pool.request({ origin: url.origin, path: `${url.pathname}${path}`, method: "GET", headers }).then(
        async ({ statusCode, body }) => {
          await body.arrayBuffer()
          if (statusCode === 200) latencies.push(performance.now() - scheduled)
          else failures++
        },
        () => void failures++
      )
    )
  }
  const start = performance.now() + 20
  await new Promise<void>((resolve) => {
    let next = 0
    const tick = () => {
      const now = performance.now()
      while (next < total && start + next * period <= now) fire(start + period * next++)
      if (next < total) setTimeout(tick, Math.max(0, start + next * period - performance.now()))
      else resolve()
    }
    tick()
  })
  await Promise.all(inFlight)
  const wallMs = performance.now() - start
  await pool.close()
  return { latencies, lateness, failures, wallMs }
}

/** One GET, its JSON. */
export const getJson = async (api: Api, path: string) => {
  const response = await fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${api.token}` } })
  if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}`)
  return (await response.json()) as unknown
}
