import * as fs from "node:fs"
import * as path from "node:path"
import parsePrometheusTextFormat from "parse-prometheus-text-format"
import OpenAI from "openai"
import { fetch, request } from "undici"
import { describe, expect, it } from "vitest"
import { addSim, daemonPid, simHome } from "../support/daemon.js"
import { client, mostAtOnce, ofType, startGateway, writeSettings } from "../support/gateway.js"
import { freePorts } from "../support/net.js"
import { orch } from "../support/orch.js"
import { waitFor } from "../support/sim.js"
import { rssMb } from "../support/sse.js"

/**
 * The OpenAI-compatible gateway, end to end: the built `orch` runs a real daemon over simulated
 * llama-servers, and OpenAI's own SDK is the client, over 127.0.0.1.
 */

const messages = [{ role: "user" as const, content: "Say hello" }]

type Families = ReadonlyArray<{ readonly name: string; readonly metrics: ReadonlyArray<{ readonly labels?: Record<string, string>; readonly value?: string }> }>

const metricsOf = async (base: string) => {
  const text = await (await fetch(`${base}/metrics`)).text()
  return { text, families: parsePrometheusTextFormat(text) as unknown as Families }
}
const sample = ({ families }: Awaited<ReturnType<typeof metricsOf>>, name: string, labels: Record<string, string>) =>
  families.find((family) => family.name === name)?.metrics.find((metric) => Object.entries(labels).every(([key, value]) => metric.labels?.[key] === value))
/** A histogram's count for an instance, read off its `_count` line (the parser keeps no labels of a histogram whose `le` comes first). */
const observed = ({ text }: Awaited<ReturnType<typeof metricsOf>>, name: string, instance: string) =>
  new RegExp(`^${name}_count\\{[^}]*instance="${instance}"[^}]*\\} (\\d+)$`, "m").exec(text)?.[1]

const servedOf = (home: string, instance: string, count: number) =>
  waitFor(async () => {
    const served = ofType(home, "RequestServed", instance)
    return served.length >= count ? served : undefined
  }, 5_000, 100)

/** The text of each token of a streamed chat completion, in order. */
const contentsOf = (stream: string) =>
  stream.split("\n\n").filter((event) => event.startsWith("data: {"))
    .map((event) => (JSON.parse(event.slice(6)) as { choices: Array<{ delta?: { content?: string | null } }> }).choices[0]?.delta?.content)
    .filter((content) => typeof content === "string" && content !== "")

const pidOf = (home: string, name: string) => JSON.parse(orch(["describe", name, "--home", home, "--json"]).stdout).pid as number | null

describe("the gateway", () => {
  it("starts a model on demand for the first request, answers chat, streams and embeddings through the SDK, and records each request without its text", async () => {
    const home = simHome()
    writeSettings(home)
    const [chatPort, embedPort] = await freePorts(2)
    addSim(home, "chat", chatPort!, ["--sim-load-ms", "300"], { gateway: { aliases: ["gpt-4o-mini"], on_demand: true } })
    addSim(home, "embed", embedPort!, ["--embeddings", "--pooling", "mean"], { gateway: { on_demand: true } })
    const base = await startGateway(home)
    const openai = client(base)

    const listed = await openai.models.list()
    expect(listed.data.map((model) => model.id).sort()).toEqual(["chat", "embed"])
    expect(listed.data.find((model) => model.id === "chat")).toMatchObject({ aliases: ["gpt-4o-mini"], status: "stopped", on_demand: true })

    // Cold: the alias names it, the gateway asks for a start and the request waits for it.
    const completion = await openai.chat.completions.create({ model: "gpt-4o-mini", messages })
    expect(completion.choices[0]!.message.content).toMatch(/Hello/)
    expect(completion.usage?.completion_tokens).toBeGreaterThan(0)
    const starts = ofType(home, "StartRequested", "chat")
    expect(starts.map((event) => event.data)).toEqual([{ by: "gateway", reason: "on_demand" }])

    const stream = await openai.chat.completions.create({ model: "chat", messages, stream: true, stream_options: { include_usage: true } })
    let text = ""
    let usage: OpenAI.CompletionUsage | null | undefined
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? ""
      usage ??= chunk.usage
    }
    expect(text).toMatch(/Hello/)
    expect(usage?.completion_tokens).toBeGreaterThan(0)

    const embeddings = await openai.embeddings.create({ model: "embed", input: ["one", "two"] })
    expect(embeddings.data).toHaveLength(2)
    expect(embeddings.data[0]!.embedding.length).toBeGreaterThan(0)

    const served = await servedOf(home, "chat", 2)
    const [cold, streamed] = served.map((event) => event.data)
    expect(cold).toMatchObject({ endpoint: "/v1/chat/completions", status: 200, streamed: false, ttft_ms: null, completion_tokens: completion.usage!.completion_tokens, prompt_tokens: completion.usage!.prompt_tokens })
    expect(cold!["queued_ms"]).toBeGreaterThanOrEqual(300)
    expect(streamed).toMatchObject({ status: 200, streamed: true, queued_ms: 0, completion_tokens: usage!.completion_tokens })
    expect(streamed!["ttft_ms"]).toEqual(expect.any(Number))
    expect(streamed!["tokens_per_second"]).toEqual(expect.any(Number))
    const [embedded] = await servedOf(home, "embed", 1)
    expect(embedded!.data).toMatchObject({ endpoint: "/v1/embeddings", status: 200, streamed: false })
    // Never the prompt nor the answer.
    expect(JSON.stringify(ofType(home, "RequestServed"))).not.toMatch(/Hello|Say hello|"one"/)

    const families = await metricsOf(base)
    expect(sample(families, "orch_gateway_requests_total", { instance: "chat", status: "200" })?.value).toBe("2")
    expect(sample(families, "orch_gateway_completion_tokens_total", { instance: "chat" })?.value).toBe(String(completion.usage!.completion_tokens + usage!.completion_tokens))
    expect(observed(families, "orch_gateway_cold_start_seconds", "chat")).toBe("1")
    expect(observed(families, "orch_gateway_time_to_first_token_seconds", "chat")).toBe("1")
    expect(observed(families, "orch_gateway_request_duration_seconds", "chat")).toBe("2")
    expect(sample(families, "orch_gateway_queue_depth", {})?.value).toBe("0")
    const events = orch(["events", "--home", home, "--type", "RequestServed"])
    expect(events.stdout).toMatch(/RequestServed\s+\/v1\/chat\/completions 200 in \d+ ms/)
  }, 60_000)

  it("stops a model idle past its ttl, and never while a request is in flight", async () => {
    const home = simHome()
    writeSettings(home)
    const [port] = await freePorts(1)
    addSim(home, "chat", port!, ["--sim-token-ms", "150", "--sim-tokens", "16"], { gateway: { on_demand: true, ttl: "1s" } })
    const base = await startGateway(home)
    // A stream of 16 tokens at 150 ms each: well past the ttl while it is in flight.
    const stream = await client(base).chat.completions.create({ model: "chat", messages, stream: true })
    let tokens = 0
    for await (const chunk of stream) if (chunk.choices[0]?.delta?.content) tokens++
    expect(tokens).toBe(16)
    const stop = await waitFor(async () => ofType(home, "StopRequested", "chat")[0], 6_000, 100)
    expect(stop.data).toEqual({ by: "gateway", reason: "idle" })
    const [served] = await servedOf(home, "chat", 1)
    expect(served!.data["duration_ms"]).toBeGreaterThan(2_000)
    // The ttl counts from the end of the request, not its start.
    expect(stop.at - served!.at).toBeGreaterThanOrEqual(900)
    await waitFor(async () => (pidOf(home, "chat") === null ? true : undefined), 6_000, 100)
  }, 60_000)

  it("swaps the members of an exclusive group under concurrent requests for both: each request answered by its model, one swap, never two running", async () => {
    const home = simHome()
    writeSettings(home, { groups: { gpu0: { exclusive: true } }, drain_timeout: "10s" })
    const [a, b] = await freePorts(2)
    addSim(home, "alpha", a!, ["--sim-load-ms", "500", "--sim-token-ms", "20"], { gateway: { on_demand: true, group: "gpu0" } })
    addSim(home, "beta", b!, ["--sim-load-ms", "500", "--sim-token-ms", "20"], { gateway: { on_demand: true, group: "gpu0" } })
    const base = await startGateway(home)
    const openai = client(base)
    const asked = Array.from({ length: 12 }, (_, index) => (index % 2 === 0 ? "alpha" : "beta"))
    const answers = await Promise.all(asked.map((model) => openai.chat.completions.create({ model, messages, max_tokens: 3 })))
    expect(answers.map((answer) => answer.model)).toEqual(asked)
    expect(mostAtOnce(home, ["alpha", "beta"])).toBe(1)
    // Requests wait grouped by model: the first model's all go, then one swap serves the other's.
    const swapped = ofType(home, "StartRequested").filter((event) => event.data["reason"] === "swap")
    expect(swapped).toHaveLength(1)
    const stopped = ofType(home, "StopRequested")
    expect(stopped.map((event) => event.data)).toEqual([{ by: "gateway", reason: "swap" }])
    expect(stopped[0]!.instance).not.toBe(swapped[0]!.instance)

    // And back: the other member is stopped again first.
    const back = stopped[0]!.instance!
    expect((await openai.chat.completions.create({ model: back, messages, max_tokens: 2 })).model).toBe(back)
    expect(mostAtOnce(home, ["alpha", "beta"])).toBe(1)
    const families = await metricsOf(base)
    expect(sample(families, "orch_gateway_swaps_total", { instance: back })?.value).toBe("1")
  }, 60_000)

  it("answers 429 with Retry-After past max_queue, and a client that leaves the queue is let go", async () => {
    const home = simHome()
    writeSettings(home, { max_queue: 2 })
    const [port] = await freePorts(1)
    // Loading for longer than the gateway's slack: a first start is waited for as long as its start_period.
    addSim(home, "slow", port!, ["--sim-load-ms", "6000"], { gateway: { on_demand: true } })
    const base = await startGateway(home)
    const openai = client(base)
    const leaving = new AbortController()
    const first = openai.chat.completions.create({ model: "slow", messages }, { signal: leaving.signal })
    const second = openai.chat.completions.create({ model: "slow", messages })
    await waitFor(async () => (sample(await metricsOf(base), "orch_gateway_queue_depth", {})?.value === "2" ? true : undefined), 5_000, 50)
    const refused = await openai.chat.completions.create({ model: "slow", messages }).then(() => undefined, (error: unknown) => error)
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError)
    expect((refused as InstanceType<typeof OpenAI.RateLimitError>).headers.get("retry-after")).toBe("1")
    expect((refused as Error).message).toMatch(/max_queue is 2/)

    leaving.abort()
    await expect(first).rejects.toThrow()
    await waitFor(async () => (sample(await metricsOf(base), "orch_gateway_queue_depth", {})?.value === "1" ? true : undefined), 5_000, 50)
    expect((await second).choices[0]!.message.content).toMatch(/Hello/)
    // Both waited on one start.
    expect(ofType(home, "StartRequested", "slow")).toHaveLength(1)
    const served = await servedOf(home, "slow", 3)
    expect(served.map((event) => event.data["status"]).sort()).toEqual([0, 200, 429])
    expect(served.find((event) => event.data["status"] === 0)!.data["error"]).toMatch(/left while it waited/)
  }, 60_000)

  it("a streaming client that leaves cancels its request at the server", async () => {
    const home = simHome()
    writeSettings(home)
    const [port] = await freePorts(1)
    addSim(home, "chat", port!, ["--sim-token-ms", "100", "--sim-tokens", "200"], { gateway: { on_demand: true } })
    const base = await startGateway(home)
    const leaving = new AbortController()
    const stream = await client(base).chat.completions.create({ model: "chat", messages, stream: true }, { signal: leaving.signal })
    let chunks = 0
    // The SDK ends an aborted stream's iteration, or throws: either way the client has gone.
    await (async () => {
      for await (const _ of stream) if (++chunks === 3) leaving.abort()
    })().catch(() => undefined)
    expect(chunks).toBeLessThan(10)
    // The whole answer would take 20 s; the server's slot is free at once.
    await waitFor(async () => {
      const slots = (await (await fetch(`${base}/upstream/chat/slots`)).json()) as Array<{ is_processing: boolean }>
      return slots.every((slot) => !slot.is_processing) ? true : undefined
    }, 3_000, 100)
    const [served] = await servedOf(home, "chat", 1)
    expect(served!.data).toMatchObject({ status: 200, streamed: true, error: "the client left during the answer" })
    expect(served!.data["duration_ms"]).toBeLessThan(5_000)
  }, 60_000)

  it("keeps nothing of a stream whose client does not read (the server is held back), and then passes all of it in order", async () => {
    const home = simHome()
    writeSettings(home)
    const [port] = await freePorts(1)
    addSim(home, "chat", port!, [], { gateway: { on_demand: true } })
    const base = await startGateway(home)
    await client(base).chat.completions.create({ model: "chat", messages, max_tokens: 1 })
    const pid = daemonPid(home)!
    // As fast as the simulator makes them, ~15 MB a second: ~60 MB of events.
    const tokens = 300_000
    const answer = await request(`${base}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "chat", messages, stream: true, max_tokens: tokens }) })
    const pieces: Array<Buffer> = []
    answer.body.on("data", (piece: Buffer) => pieces.push(piece))
    await waitFor(async () => (pieces.length > 0 ? true : undefined), 5_000, 10)
    answer.body.pause()
    // Once the sockets between are full and the first burst's garbage collected, the daemon's
    // memory stays where it is for as long as the client pauses.
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    const before = rssMb(pid)
    let most = before
    const deadline = Date.now() + 3_000
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      most = Math.max(most, rssMb(pid))
    }
    const readWhilePaused = Buffer.concat(pieces).length
    // A gateway that kept reading would hold what the simulator made meanwhile (tens of MB).
    expect(most - before).toBeLessThan(10)
    answer.body.resume()
    await new Promise((resolve) => answer.body.once("end", resolve))
    const whole = Buffer.concat(pieces)
    expect(readWhilePaused).toBeLessThan(whole.length / 2)
    const contents = contentsOf(whole.toString("utf8"))
    expect(contents.length).toBe(tokens)
    const direct = await request(`http://127.0.0.1:${port}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "chat", messages, stream: true, max_tokens: 50 }) })
    expect(contents.slice(0, 50)).toEqual(contentsOf(await direct.body.text()))
  }, 90_000)

  it("a server killed mid-stream: the streaming client gets an error; a request sent during the restart waits for it", async () => {
    const home = simHome()
    writeSettings(home)
    const [port] = await freePorts(1)
    addSim(home, "chat", port!, ["--sim-token-ms", "100", "--sim-tokens", "100", "--sim-load-ms", "300"], { restart_policy: { initial_delay: "500ms" } })
    const base = await startGateway(home)
    expect(orch(["up", "chat", "--home", home]).code).toBe(0)
    const openai = client(base)
    const pid = pidOf(home, "chat")!
    const stream = await openai.chat.completions.create({ model: "chat", messages, stream: true })
    let chunks = 0
    let later: Promise<OpenAI.ChatCompletion> | undefined
    const failed = await (async () => {
      for await (const _ of stream) {
        if (++chunks === 3) {
          process.kill(pid, "SIGKILL")
          // Sent while the server is gone: it waits for the restart rather than fail.
          later = new Promise((resolve) => setTimeout(resolve, 50)).then(() => openai.chat.completions.create({ model: "chat", messages, max_tokens: 2 }))
        }
      }
    })().then(() => undefined, (error: unknown) => error)
    expect(failed).toBeInstanceOf(OpenAI.APIError)
    expect((failed as Error).message).toMatch(/chat ended in the middle of the answer/)
    expect((await later!).choices[0]!.message.content).toMatch(/Hello/)
    expect(pidOf(home, "chat")).not.toBe(pid)
    expect(ofType(home, "RestartScheduled", "chat")).toHaveLength(1)
    const served = await servedOf(home, "chat", 2)
    expect(served[0]!.data["error"]).toMatch(/closed the connection|other side closed|terminated/)
    expect(served[1]!.data).toMatchObject({ status: 200 })
  }, 60_000)

  it("a start on demand that fails answers 503 with llama-server's own words, at once", async () => {
    const home = simHome()
    writeSettings(home)
    const [port] = await freePorts(1)
    // A device this "build" does not have: llama-server says so and exits 1 before loading.
    addSim(home, "gpu", port!, ["--device", "Vulkan7"], { gateway: { on_demand: true } })
    const base = await startGateway(home)
    const started = performance.now()
    const failed = await client(base).chat.completions.create({ model: "gpu", messages }).then(() => undefined, (error: unknown) => error)
    expect(performance.now() - started).toBeLessThan(10_000)
    expect(failed).toBeInstanceOf(OpenAI.APIError)
    expect((failed as InstanceType<typeof OpenAI.APIError>).status).toBe(503)
    expect((failed as Error).message).toMatch(/gpu did not start: .*invalid device: Vulkan7/)
  }, 60_000)

  it("asks for the gateway's key when orch.json has keys, sends the instance's own key upstream, and says which models there are", async () => {
    const home = simHome()
    writeSettings(home, { api_keys: ["k-one", "k-two"] })
    const [port, stoppedPort] = await freePorts(2)
    addSim(home, "chat", port!, ["--api-key", "inner-secret"], { gateway: { aliases: ["llama"], on_demand: true } })
    addSim(home, "cold", stoppedPort!)
    const base = await startGateway(home)

    const wrong = await client(base, "k-three").models.list().then(() => undefined, (error: unknown) => error)
    expect(wrong).toBeInstanceOf(OpenAI.AuthenticationError)
    const none = await fetch(`${base}/v1/models`)
    expect(none.status).toBe(401)
    expect(((await none.json()) as { error: { message: string } }).error.message).toMatch(/gateway\.api_keys/)

    const openai = client(base, "k-two")
    expect((await openai.chat.completions.create({ model: "llama", messages })).choices[0]!.message.content).toMatch(/Hello/)
    const props = await fetch(`${base}/upstream/chat/props`, { headers: { authorization: "Bearer k-one" } })
    expect(props.status).toBe(200)
    expect(((await props.json()) as { model_path: string }).model_path).toBe("tiny.gguf")

    const unknown = await openai.chat.completions.create({ model: "gpt-5", messages }).then(() => undefined, (error: unknown) => error)
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError)
    expect((unknown as Error).message).toMatch(/"gpt-5" does not exist here: the models are chat, cold/)

    const stopped = await openai.chat.completions.create({ model: "cold", messages }).then(() => undefined, (error: unknown) => error)
    expect(stopped).toBeInstanceOf(OpenAI.InternalServerError)
    expect((stopped as InstanceType<typeof OpenAI.APIError>).status).toBe(503)
    expect((stopped as Error).message).toMatch(/cold is not running: start it with `orch up cold`, or set gateway.on_demand/)
  }, 60_000)

  it("routes by a config edited in place, which no watch of the instances folder reports", async () => {
    const home = simHome()
    const [port] = await freePorts(1)
    addSim(home, "chat", port!, [], { gateway: { aliases: ["llama"], on_demand: true } })
    const base = await startGateway(home)
    const aliases = async () => ((await (await fetch(`${base}/v1/models`)).json()) as { data: ReadonlyArray<{ id: string; aliases: ReadonlyArray<string> }> }).data.find((model) => model.id === "chat")?.aliases
    expect(await aliases()).toEqual(["llama"])

    // Written over in place: the same file, so neither instances/ nor chat/ changes as a folder.
    const file = path.join(home, "instances", "chat", "config.json")
    const config = JSON.parse(fs.readFileSync(file, "utf8")) as { gateway: { aliases: Array<string> } }
    config.gateway.aliases = ["llama", "coder"]
    fs.writeFileSync(file, JSON.stringify(config, null, 2))
    expect(await waitFor(async () => ((await aliases())?.includes("coder") === true ? true : undefined), 10_000, 100)).toBe(true)
  }, 60_000)
})
