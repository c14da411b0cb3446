import * as fs from "node:fs"
import * as path from "node:path"
import OpenAI from "openai"
import { expect } from "vitest"
import { daemonPid, type JournalLine, types } from "./daemon.js"
import { orch } from "./orch.js"
import { apiOf } from "./sse.js"

/** orch.json of a test home: its API on any free port, and a gateway section. */
export const writeSettings = (home: string, gateway: Record<string, unknown> = {}) =>
  fs.writeFileSync(path.join(home, "orch.json"), `${JSON.stringify({ http: { listen: "127.0.0.1:0" }, gateway }, null, 2)}\n`)

/** Starts the home's daemon; the gateway's base URL (http://127.0.0.1:PORT) once it listens. */
export const startGateway = async (home: string) => {
  const started = orch(["daemon", "start", "--home", home])
  expect(started.code, started.stderr).toBe(0)
  return new URL((await apiOf(home)).gateway).origin
}

/** The official SDK pointed at the gateway; no retries of its own, so each call is one request. */
export const client = (base: string, apiKey = "none") => new OpenAI({ baseURL: `${base}/v1`, apiKey, maxRetries: 0, timeout: 30_000 })

/** The events of a home of one type, in order. */
export const ofType = (home: string, type: string, instance?: string): ReadonlyArray<JournalLine> => types(home, instance).filter((event) => event.type === type)

/**
 * Walks the journal and says the most servers of `members` that ran at once (a spawn or adoption
 * counts from its event until the stop or exit of that pid).
 */
export const mostAtOnce = (home: string, members: ReadonlyArray<string>) => {
  const running = new Map<string, number>()
  let most = 0
  for (const event of types(home)) {
    if (event.instance === null || !members.includes(event.instance)) continue
    if (event.type === "ProcessSpawned" || event.type === "ProcessAdopted") running.set(event.instance, event.data["pid"] as number)
    if ((event.type === "ProcessStopped" || event.type === "ProcessExited") && running.get(event.instance) === event.data["pid"]) running.delete(event.instance)
    most = Math.max(most, running.size)
  }
  return most
}

/** The daemon's pid, which a test home must have. */
export const daemonOf = (home: string) => {
  const pid = daemonPid(home)
  expect(pid).toBeDefined()
  return pid!
}
