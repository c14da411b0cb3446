import parsePrometheusTextFormat from "parse-prometheus-text-format"
import type OpenAI from "openai"
import { fetch } from "undici"
import { describe, expect, it } from "vitest"
import { supervisedHome } from "../support/daemon.js"
import { client, ofType, startGateway, writeSettings } from "../support/gateway.js"
import { freePorts } from "../support/net.js"
import { addReal } from "../support/real.js"
import { waitFor } from "../support/sim.js"

/**
 * The OpenAI-compatible gateway in front of the real llama-server (the tiny model of random
 * weights: its words mean nothing, so only the shapes and the counts are checked), with OpenAI's
 * own SDK as the client. One test: two real servers cost the two cores of CI their time.
 */

const messages = [{ role: "user" as const, content: "Say hello" }]

type Families = ReadonlyArray<{ readonly name: string; readonly metrics: ReadonlyArray<{ readonly labels?: Record<string, string>; readonly value?: string }> }>

const requestsOf = async (base: string, instance: string) => {
  const families = parsePrometheusTextFormat(await (await fetch(`${base}/metrics`)).text()) as unknown as Families
  return families.find((family) => family.name === "orch_gateway_requests_total")?.metrics.find((metric) => metric.labels?.["instance"] === instance && metric.labels["status"] === "200")?.value
}

const servedOf = (home: string, instance: string, count: number) =>
  waitFor(async () => {
    const served = ofType(home, "RequestServed", instance)
    return served.length >= count ? served : undefined
  }, 10_000, 100)

describe("the gateway, in front of the real llama-server", () => {
  it("starts a model on demand, answers a chat, a streamed chat and embeddings through the SDK, and records the server's own token counts", async () => {
    const home = supervisedHome()
    writeSettings(home)
    const [chatPort, embedPort] = await freePorts(2)
    addReal(home, "chat", chatPort!, { gateway: { on_demand: true } })
    // The tiny model has no pooling of its own: the real server needs one for /v1/embeddings.
    addReal(home, "embed", embedPort!, { args: ["--embeddings", "--pooling", "mean"], gateway: { on_demand: true } })
    const base = await startGateway(home)
    const openai = client(base)

    // Cold: the first request asks for the start and waits for it. max_tokens keeps every answer
    // short (random weights rarely pick the end of text by themselves).
    const completion = await openai.chat.completions.create({ model: "chat", messages, max_tokens: 4 })
    expect(completion.object).toBe("chat.completion")
    expect(completion.choices.length).toBeGreaterThan(0)
    expect(completion.choices[0]).toMatchObject({ index: 0, finish_reason: expect.stringMatching(/^(length|stop)$/), message: expect.objectContaining({ role: "assistant" }) })
    expect(completion.usage?.completion_tokens).toBeGreaterThan(0)
    expect(completion.usage?.prompt_tokens).toBeGreaterThan(0)
    expect(ofType(home, "StartRequested", "chat").map((event) => event.data)).toEqual([{ by: "gateway", reason: "on_demand" }])

    const stream = await openai.chat.completions.create({ model: "chat", messages, max_tokens: 4, stream: true, stream_options: { include_usage: true } })
    let chunks = 0
    let usage: OpenAI.CompletionUsage | null | undefined
    for await (const chunk of stream) {
      chunks++
      usage ??= chunk.usage
    }
    // The role, a chunk per token, the finish, the usage.
    expect(chunks).toBeGreaterThanOrEqual(3)
    expect(usage?.completion_tokens).toBeGreaterThan(0)
    expect(usage?.prompt_tokens).toBeGreaterThan(0)

    const embeddings = await openai.embeddings.create({ model: "embed", input: ["one", "two"] })
    expect(embeddings.data).toHaveLength(2)
    expect(embeddings.data[0]!.embedding.length).toBe(64)
    expect(embeddings.usage.prompt_tokens).toBeGreaterThan(0)
    expect(ofType(home, "StartRequested", "embed").map((event) => event.data)).toEqual([{ by: "gateway", reason: "on_demand" }])

    // The counts the gateway read off the answers as they passed are the ones the SDK saw.
    const [cold, streamed] = (await servedOf(home, "chat", 2)).map((event) => event.data)
    expect(cold).toMatchObject({ endpoint: "/v1/chat/completions", status: 200, streamed: false, prompt_tokens: completion.usage!.prompt_tokens, completion_tokens: completion.usage!.completion_tokens })
    expect(cold!["tokens_per_second"]).toEqual(expect.any(Number))
    expect(streamed).toMatchObject({ endpoint: "/v1/chat/completions", status: 200, streamed: true, prompt_tokens: usage!.prompt_tokens, completion_tokens: usage!.completion_tokens })
    expect(streamed!["tokens_per_second"]).toEqual(expect.any(Number))
    expect(streamed!["ttft_ms"]).toEqual(expect.any(Number))
    const [embedded] = (await servedOf(home, "embed", 1)).map((event) => event.data)
    expect(embedded).toMatchObject({ endpoint: "/v1/embeddings", status: 200, streamed: false, prompt_tokens: embeddings.usage.prompt_tokens })
    expect(JSON.stringify(ofType(home, "RequestServed"))).not.toMatch(/Say hello|"one"/)

    expect(await requestsOf(base, "chat")).toBe("2")
    expect(await requestsOf(base, "embed")).toBe("1")
  }, 60_000)
})
