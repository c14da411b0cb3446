import * as fs from "node:fs"
import * as path from "node:path"
import { inject } from "vitest"
import { request, waitFor } from "./sim.js"
import { orch } from "./orch.js"

/** The real llama-server and the tiny models the global setup made (test/support/build.ts). */
export const LLAMA_SERVER = inject("llamaServer")
export const MODELS = inject("models")

/**
 * A config that runs the real llama-server on `port`: a tiny model, a small context, one slot
 * and one thread (two cores run the whole suite), probes every second.
 */
export const realConfig = (port: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  model: { path: MODELS.tiny, context_size: 256, threads: 1 },
  server: { port, parallel: 1 },
  binary: LLAMA_SERVER,
  healthcheck: { interval: "1s", timeout: "1s", retries: 2 },
  restart_policy: { initial_delay: "200ms" },
  stop_timeout: "5s",
  ...extra
})

/** Writes `realConfig` as the config of instance `name`. */
export const addReal = (home: string, name: string, port: number, extra: Record<string, unknown> = {}) => {
  const dir = path.join(home, "instances", name)
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify(realConfig(port, extra), null, 2))
}

/** An instance's folded state as `orch describe --json` shows it. */
export const described = (home: string, name: string): Record<string, unknown> => JSON.parse(orch(["describe", name, "--home", home, "--json"]).stdout)

/** Waits until the daemon has recorded the instance healthy, with a process other than `not`. */
export const healthyAgain = (home: string, name: string, not?: number, limitMs = 20_000) =>
  waitFor(async () => {
    const state = described(home, name)
    return state["health"] === "healthy" && typeof state["pid"] === "number" && state["pid"] !== not ? (state["pid"] as number) : undefined
  }, limitMs, 100)

/** A chat completion of a few tokens through the server itself: random weights never stop alone. */
export const chat = (port: number, model: string) =>
  request(port, "/v1/chat/completions", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "Say hello" }], max_tokens: 4 }),
    timeoutMs: 20_000
  })
