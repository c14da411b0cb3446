import * as http from "node:http"
import { Effect, Fiber, Schema, TestClock, TestContext } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { InstanceConfig } from "../../src/domain/config.js"
import type { EventOf } from "../../src/domain/events.js"
import { makeProber } from "../../src/runtime/prober.js"
import { freePort } from "../support/net.js"
import { TINY_MODEL, healthIs, startSim, waitFor } from "../support/sim.js"

type Probed = EventOf<"HealthProbed">

const configFor = (port: number, extra: Record<string, unknown> = {}) =>
  Schema.decodeUnknownSync(InstanceConfig)({ model: { path: TINY_MODEL }, server: { port }, ...extra })

/** Probes `times` times with one prober, as the daemon does, and hands back every result. */
const probeTimes = (name: string, port: number, times: number, extra: Record<string, unknown> = {}) =>
  Effect.runPromise(
    Effect.scoped(Effect.flatMap(makeProber(name, configFor(port, extra)), (probe) => Effect.replicateEffect(probe, times)))
  ) as Promise<ReadonlyArray<Probed>>

const servers: Array<http.Server> = []
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((done) => server.close(done))
  }
})

/** A stand-in HTTP server on 127.0.0.1 with fixed answers per path, counting the requests it gets. */
const fake = async (answers: Record<string, { status: number; body: unknown } | "never">) => {
  const seen: Array<string> = []
  const server = http.createServer((req, res) => {
    seen.push(req.url ?? "")
    const answer = answers[req.url ?? ""] ?? { status: 404, body: "File Not Found" }
    if (answer === "never") return
    res.writeHead(answer.status, { "content-type": "application/json" })
    res.end(typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body))
  })
  servers.push(server)
  const port = await new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)))
  return { port, seen }
}

const models = (id: string) => ({ status: 200, body: { object: "list", data: [{ id, object: "model" }] } })

describe("the prober, against real HTTP servers on 127.0.0.1", () => {
  it("says loading while the simulator loads, then ok once it answers and serves our alias", async () => {
    const port = await freePort()
    startSim(["-m", TINY_MODEL, "--port", String(port), "--alias", "chat", "--sim-load-ms", "1500"])
    await healthIs(port, 503)
    const [loading] = await probeTimes("chat", port, 1)
    expect(loading).toMatchObject({ result: "loading", status: 503, path: "/health" })
    await healthIs(port, 200)
    const [ok] = await probeTimes("chat", port, 1)
    expect(ok).toMatchObject({ result: "ok", status: 200, path: "/health" })
    expect(ok!.reason).toBeUndefined()
  })

  it("says unreachable when nothing listens, and error with the reason on a 500", async () => {
    const [refused] = await probeTimes("chat", await freePort(), 1)
    expect(refused).toMatchObject({ result: "unreachable", status: null, reason: "connection refused" })
    const sick = await fake({ "/health": { status: 500, body: { error: { code: 500, message: "Internal server error" } } } })
    const [error] = await probeTimes("chat", sick.port, 1)
    expect(error).toMatchObject({ result: "error", status: 500, reason: "HTTP 500: Internal server error" })
  })

  it("says timeout when the server accepts and never answers, after the configured timeout", async () => {
    const hung = await fake({ "/health": "never" })
    const [timeout] = await probeTimes("chat", hung.port, 1, { healthcheck: { timeout: "300ms" } })
    expect(timeout).toMatchObject({ result: "timeout", status: null, reason: "no answer in 300 ms" })
    expect(timeout!.latency_ms).toBeGreaterThanOrEqual(290)
    expect(timeout!.latency_ms).toBeLessThan(1_000)
  })

  it("drops the connection of a probe that timed out: the next probe is answered, not queued behind it", async () => {
    let healthRequests = 0
    const server = http.createServer((req, res) => {
      if (req.url === "/health" && ++healthRequests === 1) return
      res.writeHead(200, { "content-type": "application/json" })
      res.end(JSON.stringify(req.url === "/health" ? { status: "ok" } : models("chat").body))
    })
    servers.push(server)
    const port = await new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)))
    const [first, second] = await probeTimes("chat", port, 2, { healthcheck: { timeout: "300ms" } })
    expect(first).toMatchObject({ result: "timeout" })
    expect(second).toMatchObject({ result: "ok", status: 200 })
    expect(second!.latency_ms).toBeLessThan(100)
  })

  it("times out by Effect's clock: under TestClock, when the test clock says so and not before", async () => {
    const hung = await fake({ "/health": "never" })
    const probe = await Effect.runPromise(
      Effect.gen(function* () {
        const fiber = yield* Effect.fork(Effect.flatMap(makeProber("chat", configFor(hung.port, { healthcheck: { timeout: "5s" } })), (probe) => probe))
        yield* Effect.promise(() => waitFor(async () => (hung.seen.length > 0 ? true : undefined)))
        yield* TestClock.adjust("4999 millis")
        expect(fiber.unsafePoll()).toBeNull()
        yield* TestClock.adjust("1 millis")
        return yield* Fiber.join(fiber)
      }).pipe(Effect.scoped, Effect.provide(TestContext.TestContext))
    )
    expect(probe).toMatchObject({ result: "timeout", latency_ms: 5_000, reason: "no answer in 5000 ms" })
  })

  it("falls back to /v1/health on a 404 and keeps the path that works", async () => {
    const old = await fake({ "/v1/health": { status: 200, body: { status: "ok" } }, "/v1/models": models("chat") })
    const probes = await probeTimes("chat", old.port, 3)
    expect(probes.map((probe) => [probe.result, probe.path])).toEqual([["ok", "/v1/health"], ["ok", "/v1/health"], ["ok", "/v1/health"]])
    expect(old.seen.filter((url) => url === "/health")).toHaveLength(1)
  })

  it("does not trust another server answering on our port: an error naming what it serves", async () => {
    const stranger = await fake({ "/health": { status: 200, body: { status: "ok" } }, "/v1/models": models("coder") })
    const [probe] = await probeTimes("chat", stranger.port, 1)
    expect(probe).toMatchObject({ result: "error", status: 200, reason: `another server answers on port ${stranger.port}: it serves coder, not "chat"` })
  })

  it("checks the alias once, on the first ok, not on every probe", async () => {
    const server = await fake({ "/health": { status: 200, body: { status: "ok" } }, "/v1/models": models("chat") })
    await probeTimes("chat", server.port, 4)
    expect(server.seen.filter((url) => url === "/v1/models")).toHaveLength(1)
  })

  it("runs a deep probe through the task queue, with the server's API key", async () => {
    const port = await freePort()
    startSim(["-m", TINY_MODEL, "--port", String(port), "--alias", "chat", "--sim-load-ms", "0", "--api-key", "sesame"])
    await healthIs(port, 200)
    const [deep] = await probeTimes("chat", port, 1, { args: ["--api-key", "sesame"], healthcheck: { deep: "completion" } })
    expect(deep).toMatchObject({ result: "ok", path: "/health" })
    // Without the key the first ok's /v1/models is refused too (as by the real server: only /health
    // and /v1/health are public), so the identity check fails before the deep probe is reached.
    const [locked] = await probeTimes("chat", port, 1, { healthcheck: { deep: "completion" } })
    expect(locked).toMatchObject({ result: "error", status: 200, path: "/health" })
    expect(locked!.reason).toMatch(/^the server asks for an API key to list its models, and none it was given/)
  })
})
