import * as fs from "node:fs"
import { type EventSourceMessage, createParser } from "eventsource-parser"
import { fetch } from "undici"
import { onTestFinished } from "vitest"
import { orch } from "./orch.js"
import { waitFor } from "./sim.js"

/** What `orch api --json` prints while the daemon serves its API. */
export interface ApiShown {
  readonly url: string
  readonly docs: string
  readonly open: string
  readonly token: string | null
  readonly openapi: string
  readonly gateway: string
  readonly metrics: string
}

/**
 * The API of a home's daemon, once it listens: `orch daemon start` returns when the daemon holds
 * its lock, and the listener records where it listens a moment later.
 */
export const apiOf = (home: string, limitMs = 10_000): Promise<ApiShown> =>
  waitFor(async () => {
    const run = orch(["api", "--home", home, "--json"])
    return run.code === 0 ? (JSON.parse(run.stdout) as ApiShown) : undefined
  }, limitMs, 100)

/** What came down a stream, in order: an event, or a comment (`: connected`, `: heartbeat`). */
export type Item = { readonly kind: "event"; readonly message: EventSourceMessage } | { readonly kind: "comment"; readonly text: string }

/**
 * An open `GET /api/v1/events/stream`, read as it comes (undici's fetch, eventsource-parser),
 * until `close()` or the end of the test. `pause()` stops reading the body: the socket fills and
 * the daemon is held back, as by a slow client.
 */
export interface EventStream {
  readonly status: number
  readonly headers: { readonly get: (name: string) => string | null }
  readonly items: ReadonlyArray<Item>
  readonly messages: ReadonlyArray<EventSourceMessage>
  readonly bytes: () => number
  readonly ended: () => boolean
  /** Resolves with what `check` returns once it returns something, checked after each chunk read; fails after `limitMs`. */
  readonly until: <A>(check: () => A | undefined, limitMs?: number) => Promise<A>
  readonly pause: () => void
  readonly resume: () => void
  readonly close: () => void
}

export const openEvents = async (api: ApiShown, query = "", headers: Record<string, string> = {}): Promise<EventStream> => {
  const controller = new AbortController()
  onTestFinished(() => controller.abort())
  const response = await fetch(`${api.url}/events/stream${query}`, {
    headers: { ...(api.token === null ? {} : { authorization: `Bearer ${api.token}` }), ...headers },
    signal: controller.signal
  })
  const items: Array<Item> = []
  const messages: Array<EventSourceMessage> = []
  let bytes = 0
  let ended = false
  let failure: unknown
  const waiters = new Set<() => void>()
  const notify = () => {
    for (const waiter of [...waiters]) waiter()
  }
  let gate: { readonly opened: Promise<void>; readonly open: () => void } | undefined
  const parser = createParser({
    onEvent: (message) => {
      messages.push(message)
      items.push({ kind: "event", message })
    },
    onComment: (text) => void items.push({ kind: "comment", text })
  })
  if (response.body !== null) {
    const reader = response.body.getReader()
    const decoder = new TextDecoder()
    void (async () => {
      try {
        for (;;) {
          if (gate !== undefined) await gate.opened
          const { value, done } = await reader.read()
          if (done) break
          bytes += value.length
          parser.feed(decoder.decode(value, { stream: true }))
          notify()
        }
      } catch (error) {
        if (!controller.signal.aborted) failure = error
      } finally {
        ended = true
        notify()
      }
    })()
  }
  const until = <A>(check: () => A | undefined, limitMs = 10_000) =>
    new Promise<A>((resolve, reject) => {
      const look = () => {
        const found = check()
        if (found !== undefined) {
          done()
          resolve(found)
        } else if (ended) {
          done()
          reject(new Error(`the stream ended (${failure === undefined ? "closed" : String(failure)}) after ${messages.length} events, the last ${messages.at(-1)?.id}`))
        }
      }
      const timer = setTimeout(() => {
        done()
        reject(new Error(`still not so after ${limitMs} ms: ${messages.length} events read, the last ${messages.at(-1)?.id}`))
      }, limitMs)
      const done = () => {
        clearTimeout(timer)
        waiters.delete(look)
      }
      waiters.add(look)
      look()
    })
  return {
    status: response.status,
    headers: response.headers,
    items,
    messages,
    bytes: () => bytes,
    ended: () => ended,
    until,
    pause: () => {
      if (gate !== undefined) return
      let open = () => {}
      const opened = new Promise<void>((resolve) => (open = resolve))
      gate = { opened, open }
    },
    resume: () => {
      const opened = gate
      gate = undefined
      opened?.open()
    },
    close: () => controller.abort()
  }
}

/** The seq of the newest event read, or 0. */
export const lastId = (stream: EventStream) => Number(stream.messages.at(-1)?.id ?? 0)

/** Once the stream has read up to `seq` (or past it): for `until`. */
export const reached = (stream: EventStream, seq: number) => () => (lastId(stream) >= seq ? true : undefined)

/** A process's resident memory in MB, from /proc. */
export const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024

/** The TCP ports a process listens on, from /proc/net/tcp{,6} and its sockets' inodes. */
export const listeningPorts = (pid: number): ReadonlyArray<number> => {
  const inodes = new Set(
    fs.readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`))
        return match === null ? [] : [match[1]!]
      } catch {
        return []
      }
    })
  )
  return ["/proc/net/tcp", "/proc/net/tcp6"].flatMap((table) => {
    const lines = fs.existsSync(table) ? fs.readFileSync(table, "utf8").trim().split("\n").slice(1) : []
    return lines.flatMap((line) => {
      const fields = line.trim().split(/\s+/)
      // local_address is HEX_IP:HEX_PORT; st 0A is LISTEN; the inode is the tenth field.
      return fields[3] === "0A" && inodes.has(fields[9]!) ? [parseInt(fields[1]!.split(":")[1]!, 16)] : []
    })
  })
}
