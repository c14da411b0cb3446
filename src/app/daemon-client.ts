import * as http from "node:http"
import pkg from "../../package.json" with { type: "json" }
import { readApiToken } from "../runtime/api-token.js"
import { readDaemonAddress } from "../runtime/daemon-address.js"
import { pidExists } from "../runtime/platform/pid-exists.js"

/**
 * What one request to the home's daemon came to. `unreached`: no daemon of this home took it
 * (none runs, its API is off or elsewhere, another process answered): the caller reads the journal
 * itself, as before there was an API. `lost`: sent, but no whole answer came: a request may have
 * been recorded, and is made again another way only where twice is the same as once.
 */
export type Answer =
  | { readonly _tag: "Answered"; readonly status: number; readonly body: unknown }
  | { readonly _tag: "Unreached" }
  | { readonly _tag: "Lost"; readonly url: string }

/** Long enough for a daemon busy folding; a daemon that takes longer is hung, or stopped (SIGSTOP). */
const TIMEOUT_MS = 5_000

const UNREACHED: Answer = { _tag: "Unreached" }

/** A token this user cannot read is no token: the daemon then refuses, and the journal is read instead. */
const tokenOf = (home: string) => {
  try {
    return readApiToken(home)
  } catch {
    return undefined
  }
}

export const askDaemon = (home: string, method: "GET" | "POST", path: string, body?: unknown, timeoutMs = TIMEOUT_MS): Promise<Answer> => {
  const address = readDaemonAddress(home)
  if (address === undefined || !pidExists(address.pid)) return Promise.resolve(UNREACHED)
  const token = tokenOf(home)
  const payload = body === undefined ? undefined : JSON.stringify(body)
  const url = `${address.url}/api/v1${path}`
  return new Promise((resolve) => {
    let connected = false
    const request = http.request(url, {
      method,
      agent: false,
      timeout: timeoutMs,
      headers: {
        accept: "application/json",
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        ...(payload === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(payload) })
      }
    }, (response) => {
      // Refused before anything was done: another home's daemon on a port this one had, or one of
      // another version of orch (started before an upgrade), whose shapes may not be this one's.
      const theirs = response.headers["x-orch-daemon"] === String(address.pid) && response.headers["x-orch-version"] === pkg.version
      if (!theirs || response.statusCode === 401 || response.statusCode === 403) {
        response.resume()
        return resolve(UNREACHED)
      }
      const chunks: Array<Buffer> = []
      response.on("data", (chunk: Buffer) => chunks.push(chunk))
      response.on("end", () => {
        try {
          resolve({ _tag: "Answered", status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) })
        } catch {
          resolve({ _tag: "Lost", url })
        }
      })
      response.on("error", () => resolve({ _tag: "Lost", url }))
    })
    request.on("socket", (socket) => socket.once("connect", () => (connected = true)))
    request.on("timeout", () => request.destroy())
    request.on("error", () => resolve(connected && method === "POST" ? { _tag: "Lost", url } : UNREACHED))
    request.end(payload)
  })
}
