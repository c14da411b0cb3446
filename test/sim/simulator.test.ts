import { createParser } from "eventsource-parser"
import { fetch } from "undici"
import { describe, expect, it } from "vitest"
import { listen, freePort } from "../support/net.js"
import { TINY_MODEL, healthIs, request, startSim, waitFor } from "../support/sim.js"

const LOADING = '{"error":{"message":"Loading model","type":"unavailable_error","code":503}}'

/** The flags orch generates, for a simulator on a fresh port. */
const baseArgs = (port: number) => ["--host", "127.0.0.1", "--port", String(port), "-m", TINY_MODEL, "--alias", "tiny"]

/** A simulator, loaded, on a fresh port. */
const loadedSim = async (...args: ReadonlyArray<string>) => {
  const port = await freePort()
  const sim = startSim([...baseArgs(port), "--sim-load-ms", "0", ...args])
  await healthIs(port, 200)
  return { port, sim }
}

const post = (port: number, path: string, body: unknown, headers: Record<string, string> = {}) =>
  request(port, path, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) })

/** POSTs and parses the JSON answer. */
const postJson = async (port: number, path: string, body: unknown) => {
  const answer = await post(port, path, body)
  return { status: answer.status, body: JSON.parse(answer.body) }
}

/** The `data:` of each server-sent event, parsed as JSON but for "[DONE]". */
const events = (text: string): Array<any> => {
  const found: Array<unknown> = []
  const parser = createParser({ onEvent: (event) => found.push(event.data === "[DONE]" ? event.data : JSON.parse(event.data)) })
  parser.feed(text)
  return found
}

/** A stream read as it comes: each event and when it came. After `leaveAfter` events the client goes. */
const readStream = async (port: number, path: string, body: unknown, leaveAfter = Infinity) => {
  const controller = new AbortController()
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal: controller.signal
  })
  const arrived: Array<{ readonly data: string; readonly at: number }> = []
  const parser = createParser({ onEvent: (event) => arrived.push({ data: event.data, at: performance.now() }) })
  const decoder = new TextDecoder()
  try {
    for await (const chunk of response.body!) {
      parser.feed(decoder.decode(chunk, { stream: true }))
      if (arrived.length >= leaveAfter) controller.abort()
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error
  }
  return { headers: response.headers, arrived }
}

const TIMINGS = ["cache_n", "prompt_n", "prompt_ms", "prompt_per_token_ms", "prompt_per_second", "predicted_n", "predicted_ms", "predicted_per_token_ms", "predicted_per_second"]
const USAGE = ["completion_tokens", "prompt_tokens", "total_tokens", "prompt_tokens_details"]
const CHUNK = ["choices", "created", "id", "model", "system_fingerprint", "object"]
const messages = [{ role: "user", content: "Say hello" }]

describe("the llama-server simulator", () => {
  it("takes the real flags, answers 503 while loading and 200 once loaded", async () => {
    const port = await freePort()
    const sim = startSim([...baseArgs(port), "-c", "2048", "-b", "512", "-t", "2", "-np", "2", "-ngl", "0", "--sim-load-ms", "600"])
    expect(await healthIs(port, 503)).toBe(LOADING)
    // Every path answers 503 while loading, unknown ones and POSTs too.
    expect(await request(port, "/no-such-path")).toEqual({ status: 503, body: LOADING })
    expect(await request(port, "/completion", { method: "POST", body: "{}" })).toEqual({ status: 503, body: LOADING })
    expect(await healthIs(port, 200)).toBe('{"status":"ok"}')
    expect((await request(port, "/v1/health")).body).toBe('{"status":"ok"}')
    expect(sim.stderr()).toMatch(/^\d+\.\d{2}\.\d{3}\.\d{3} I srv  llama_server: model loaded$/m)
    expect(sim.stderr()).toMatch(new RegExp(`I srv  llama_server: listening on http://127\\.0\\.0\\.1:${port}$`, "m"))
    const models = JSON.parse((await request(port, "/v1/models")).body)
    expect(models.data[0].id).toBe("tiny")
    const props = JSON.parse((await request(port, "/props")).body)
    expect(props).toMatchObject({ total_slots: 2, model_path: TINY_MODEL, default_generation_settings: { n_ctx: 2048 } })
    expect(JSON.parse((await request(port, "/slots")).body)).toHaveLength(2)
  })

  it("answers a chat with usage and timings, bounded by n_predict, max_tokens or --sim-tokens", async () => {
    const { port } = await loadedSim("--sim-tokens", "5")
    const chat = await postJson(port, "/v1/chat/completions", { model: "any", messages, max_tokens: 3 })
    expect(chat.status).toBe(200)
    expect(Object.keys(chat.body)).toEqual(["choices", "created", "model", "system_fingerprint", "object", "usage", "id", "timings"])
    expect(chat.body).toMatchObject({ object: "chat.completion", model: "tiny", id: expect.stringMatching(/^chatcmpl-[A-Za-z0-9]{32}$/) })
    expect(chat.body.choices).toEqual([{ finish_reason: "length", index: 0, message: { role: "assistant", content: " Hello from the" } }])
    expect(Object.keys(chat.body.usage)).toEqual(USAGE)
    const { prompt_tokens } = chat.body.usage
    expect(chat.body.usage).toEqual({ completion_tokens: 3, prompt_tokens, total_tokens: prompt_tokens + 3, prompt_tokens_details: { cached_tokens: 0 } })
    expect(Object.keys(chat.body.timings)).toEqual(TIMINGS)
    expect(chat.body.timings).toMatchObject({ prompt_n: prompt_tokens, predicted_n: 3 })
    // n_predict wins over max_tokens, as in the real server; unbounded, the "model" stops by itself.
    expect((await postJson(port, "/v1/chat/completions", { messages, max_tokens: 5, n_predict: 2 })).body.usage.completion_tokens).toBe(2)
    const unbounded = (await postJson(port, "/chat/completions", { messages })).body
    expect(unbounded.choices[0]).toMatchObject({ finish_reason: "stop", message: { content: " Hello from the llama server" } })
    expect(await postJson(port, "/v1/chat/completions", {})).toEqual({
      status: 400, body: { error: { code: 400, message: "'messages' is required", type: "invalid_request_error" } }
    })
    const bad = await request(port, "/v1/chat/completions", { method: "POST", body: "{bad" })
    expect(bad.status).toBe(500)
    expect(JSON.parse(bad.body).error).toMatchObject({ message: expect.stringMatching(/^\[json\.exception\.parse_error\.101\] parse error/), type: "server_error" })
  })

  it("streams a chat as the real server does: the role, a chunk per token, the finish with timings, [DONE]", async () => {
    const { port } = await loadedSim()
    const answer = await post(port, "/v1/chat/completions", { messages, max_tokens: 2, stream: true })
    expect(answer.body).toMatch(/^data: \{.*\}\n\n/)
    const [role, first, second, finish, done, ...rest] = events(answer.body)
    expect(rest).toEqual([])
    expect(Object.keys(role)).toEqual(CHUNK)
    expect(role.choices).toEqual([{ finish_reason: null, index: 0, delta: { role: "assistant", content: null } }])
    expect([first.choices[0].delta, second.choices[0].delta]).toEqual([{ content: " Hello" }, { content: " from" }])
    expect(new Set([role.id, first.id, finish.id]).size).toBe(1)
    expect(Object.keys(finish)).toEqual([...CHUNK, "timings"])
    expect(finish.choices).toEqual([{ finish_reason: "length", index: 0, delta: {} }])
    expect(Object.keys(finish.timings)).toEqual(TIMINGS)
    expect(done).toBe("[DONE]")
    // Asked for usage: the finish chunk has no timings; a last chunk of no choices has both.
    const withUsage = events((await post(port, "/v1/chat/completions", { messages, max_tokens: 2, stream: true, stream_options: { include_usage: true } })).body)
    expect(withUsage).toHaveLength(6)
    expect(Object.keys(withUsage[3])).toEqual(CHUNK)
    expect(Object.keys(withUsage[4])).toEqual([...CHUNK, "usage", "timings"])
    expect(withUsage[4]).toMatchObject({ choices: [], usage: { completion_tokens: 2 }, timings: { predicted_n: 2 } })
    expect(withUsage[5]).toBe("[DONE]")
  })

  it("answers /v1/completions in OpenAI's shape and /completion in llama.cpp's, plain and streamed", async () => {
    const { port } = await loadedSim()
    const text = (await postJson(port, "/v1/completions", { prompt: "Say hello", max_tokens: 2 })).body
    expect(Object.keys(text)).toEqual(["choices", "created", "model", "system_fingerprint", "object", "usage", "id", "timings"])
    expect(text).toMatchObject({ object: "text_completion", choices: [{ text: " Hello from", index: 0, logprobs: null, finish_reason: "length" }], usage: { completion_tokens: 2 } })
    const streamed = events((await post(port, "/v1/completions", { prompt: "Say hello", max_tokens: 2, stream: true })).body)
    expect(streamed.map((event) => (event === "[DONE]" ? event : event.choices[0].text))).toEqual([" Hello", " from", "", "[DONE]"])
    expect(Object.keys(streamed[0])).toEqual(["choices", "created", "model", "system_fingerprint", "object", "id"])
    expect(streamed[2]).toMatchObject({ choices: [{ finish_reason: "length" }], usage: { completion_tokens: 2 }, timings: { predicted_n: 2 } })
    expect((await postJson(port, "/v1/completions", {})).body.error.message).toBe("[json.exception.out_of_range.403] key 'prompt' not found")

    const native = (await postJson(port, "/completion", { prompt: "the water", n_predict: 2 })).body
    expect(native).toMatchObject({
      index: 0, content: " Hello from", stop: true, model: "tiny", tokens_predicted: 2, tokens_evaluated: 8,
      prompt: "<s> the water", stop_type: "limit", timings: { prompt_n: 8, predicted_n: 2 }
    })
    expect(Object.keys(native.timings)).toEqual(TIMINGS)
    expect((await postJson(port, "/completions", { prompt: "x" })).body).toMatchObject({ tokens_predicted: 8, stop_type: "eos" })
    const parts = events((await post(port, "/completion", { prompt: "the water", n_predict: 2, stream: true })).body)
    expect(parts.slice(0, 2)).toEqual([
      { index: 0, content: " Hello", tokens: [259], stop: false, id_slot: -1, tokens_predicted: 1, tokens_evaluated: 8 },
      { index: 0, content: " from", tokens: [260], stop: false, id_slot: -1, tokens_predicted: 2, tokens_evaluated: 8 }
    ])
    // The final object, then nothing: llama.cpp's own stream has no [DONE].
    expect(parts.slice(2)).toEqual([expect.objectContaining({ content: "", stop: true, tokens_predicted: 2, timings: expect.any(Object) })])
    expect((await postJson(port, "/completion", { prompt: [999999] })).body.error.message).toBe("Prompt contains invalid tokens")
  })

  it("tokenizes, detokenizes and fills in as llama-server does", async () => {
    const { port } = await loadedSim()
    const { tokens } = (await postJson(port, "/tokenize", { content: "Hello the é" })).body
    expect((await postJson(port, "/tokenize", { content: "Hello the é", add_special: true })).body.tokens).toEqual([1, ...tokens])
    expect((await postJson(port, "/detokenize", { tokens })).body).toEqual({ content: " Hello the é" })
    expect((await postJson(port, "/tokenize", { content: "Hello é", with_pieces: true })).body.tokens).toEqual([
      { id: 259, piece: " Hello" }, { id: 35, piece: " " }, { id: 198, piece: [195] }, { id: 172, piece: [169] }
    ])
    expect((await postJson(port, "/tokenize", {})).body).toEqual({ tokens: [] })
    expect((await postJson(port, "/detokenize", { tokens: [999999] })).status).toBe(500)
    const infill = (await postJson(port, "/infill", { input_prefix: "def f(", input_suffix: "):", n_predict: 1 })).body
    expect(infill).toMatchObject({ content: " Hello", stop: true, tokens_predicted: 1 })
    expect((await postJson(port, "/infill", { input_suffix: "" })).body.error.message).toBe('"input_prefix" is required')
  })

  it("serves embeddings only with --embeddings, in OpenAI's shape on /v1 and llama.cpp's on /embeddings", async () => {
    const plain = await loadedSim()
    expect(await postJson(plain.port, "/v1/embeddings", { input: "hello" })).toEqual({
      status: 501, body: { error: { code: 501, message: "This server does not support embeddings. Start it with `--embeddings`", type: "not_supported_error" } }
    })
    const { port } = await loadedSim("--embeddings")
    const answer = (await postJson(port, "/v1/embeddings", { input: ["hello", "the water"], model: "asked" })).body
    expect(Object.keys(answer)).toEqual(["model", "object", "usage", "data"])
    expect(answer).toMatchObject({ model: "asked", object: "list" })
    expect(answer.usage.prompt_tokens).toBe(answer.usage.total_tokens)
    expect(answer.data.map((item: any) => [Object.keys(item), item.index, item.object, item.embedding.length])).toEqual([
      [["embedding", "index", "object"], 0, "embedding", 288], [["embedding", "index", "object"], 1, "embedding", 288]
    ])
    const norm = Math.hypot(...(answer.data[0].embedding as Array<number>))
    expect(norm).toBeCloseTo(1, 6)
    const again = (await postJson(port, "/v1/embeddings", { input: "hello" })).body
    expect(again.data[0].embedding).toEqual(answer.data[0].embedding)
    expect(again.model).toBe("tiny")
    const base64 = (await postJson(port, "/v1/embeddings", { input: "hello", encoding_format: "base64" })).body.data[0]
    expect(base64.encoding_format).toBe("base64")
    const bytes = Buffer.from(base64.embedding, "base64")
    expect([...new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4)]).toEqual(answer.data[0].embedding.map(Math.fround))
    for (const path of ["/embeddings", "/embedding"]) {
      const native = (await postJson(port, path, { input: ["hello"] })).body
      expect(native).toEqual([{ index: 0, embedding: [answer.data[0].embedding] }])
    }
    expect((await postJson(port, "/v1/embeddings", {})).status).toBe(400)
    const none = await loadedSim("--embeddings", "--pooling", "none")
    expect((await postJson(none.port, "/v1/embeddings", { input: "hello" })).body.error.message).toBe("Pooling type 'none' is not OAI compatible. Please use a different pooling type")
    // Without pooling, a vector per token: <s> Hello from.
    expect((await postJson(none.port, "/embeddings", { content: "Hello from" })).body[0].embedding).toHaveLength(3)
  })

  it("reranks only with --reranking, on all four of the real server's paths", async () => {
    const plain = await loadedSim("--embeddings")
    expect(await postJson(plain.port, "/v1/rerank", { query: "a", documents: ["b"] })).toEqual({
      status: 501, body: { error: { code: 501, message: "This server does not support reranking. Start it with `--reranking`", type: "not_supported_error" } }
    })
    const { port } = await loadedSim("--reranking")
    const documents = ["one word", "llama server", "per token"]
    for (const path of ["/v1/rerank", "/rerank", "/reranking", "/v1/reranking"]) {
      const answer = (await postJson(port, path, { query: "llama server", documents })).body
      expect(Object.keys(answer)).toEqual(["model", "object", "usage", "results"])
      expect(answer.results.map((result: any) => Object.keys(result))).toEqual([["index", "relevance_score"], ["index", "relevance_score"], ["index", "relevance_score"]])
      const scores = answer.results.map((result: any) => result.relevance_score as number)
      expect(scores).toEqual([...scores].sort((a, b) => b - a))
      expect(answer.results[0].index).toBe(1)
    }
    expect((await postJson(port, "/v1/rerank", { query: "llama", documents, top_n: 1 })).body.results).toHaveLength(1)
    expect((await postJson(port, "/v1/rerank", { query: "llama" })).body.error.message).toBe('"documents" must be a non-empty string array')
    expect((await postJson(port, "/v1/rerank", { query: "llama", texts: ["a"], return_text: true })).body).toEqual([{ index: 0, score: expect.any(Number), text: "a" }])
  })

  it("streams each token as its own event, --sim-token-ms apart, and --sim-tokens many", async () => {
    const slow = await loadedSim("--sim-token-ms", "40", "--sim-tokens", "5")
    const { headers, arrived } = await readStream(slow.port, "/v1/chat/completions", { messages, stream: true })
    expect(headers.get("content-type")).toBe("text/event-stream")
    const contents = arrived.slice(1, 6).map((event) => JSON.parse(event.data).choices[0].delta.content)
    expect(contents).toEqual([" Hello", " from", " the", " llama", " server"])
    // Sent as made, not all at the end: the tokens come about 40 ms apart.
    expect(arrived[5]!.at - arrived[1]!.at).toBeGreaterThan(100)
    const many = await loadedSim("--sim-tokens", "10000")
    const all = events((await post(many.port, "/completion", { prompt: "x", stream: true })).body)
    expect(all).toHaveLength(10_001)
    expect(all.at(-1)).toMatchObject({ stop: true, tokens_predicted: 10_000, stop_type: "eos" })
    expect(all[10].content).toBe(" Hello")
  })

  it("stops generating when the client goes, as the real server cancels the task", async () => {
    const { port, sim } = await loadedSim("--sim-token-ms", "20", "--sim-tokens", "1000", "--metrics")
    const { arrived } = await readStream(port, "/v1/chat/completions", { messages, stream: true }, 4)
    expect(arrived).toHaveLength(4)
    await waitFor(async () => (/W srv {10}stop: cancel task, id_task = 0$/m.test(sim.stderr()) ? true : undefined))
    const predicted = async () => Number(/^llamacpp:tokens_predicted_total (\d+)$/m.exec((await request(port, "/metrics")).body)![1])
    const counted = await predicted()
    expect(counted).toBeLessThan(10)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(await predicted()).toBe(counted)
    expect(JSON.parse((await request(port, "/slots")).body)[0].is_processing).toBe(false)
  })

  it("serves /metrics only with --metrics and /slots not with --no-slots", async () => {
    const port = await freePort()
    startSim([...baseArgs(port), "--sim-load-ms", "0", "--no-slots"])
    await healthIs(port, 200)
    expect((await request(port, "/metrics")).status).toBe(501)
    expect(JSON.parse((await request(port, "/slots")).body).error.type).toBe("not_supported_error")
  })

  it("asks for the API key everywhere but on /health and /v1/health, the model list and unknown paths too, with the real 401 body", async () => {
    const { port } = await loadedSim("--api-key", "s3cret", "--embeddings", "--reranking")
    const refused = { status: 401, body: '{"error":{"message":"Invalid API Key","type":"authentication_error","code":401}}' }
    expect(await request(port, "/props")).toEqual(refused)
    expect((await request(port, "/props", { headers: { authorization: "Bearer s3cret" } })).status).toBe(200)
    const key = { authorization: "Bearer s3cret" }
    for (const [path, body] of [
      ["/v1/chat/completions", { messages, max_tokens: 1 }], ["/v1/completions", { prompt: "x", max_tokens: 1 }], ["/completion", { prompt: "x", n_predict: 1 }],
      ["/v1/embeddings", { input: "x" }], ["/v1/rerank", { query: "x", documents: ["y"] }], ["/tokenize", { content: "x" }], ["/detokenize", { tokens: [] }],
      ["/infill", { input_prefix: "", input_suffix: "", n_predict: 1 }]
    ] as const) {
      expect(await post(port, path, body)).toEqual(refused)
      expect((await post(port, path, body, key)).status).toBe(200)
    }
    for (const path of ["/health", "/v1/health"]) expect((await request(port, path)).status).toBe(200)
    for (const path of ["/v1/models", "/models"]) {
      expect(await request(port, path)).toEqual(refused)
      expect(JSON.parse((await request(port, path, { headers: key })).body).data[0].id).toBe("tiny")
    }
    // The key is checked before the route: a path that does not exist is a 401 without it, a 404 with it.
    expect(await request(port, "/nope")).toEqual(refused)
    expect((await request(port, "/nope", { headers: key })).status).toBe(404)
  })

  it("takes either key of a comma-separated --api-key, as the real server does, and not the list itself", async () => {
    const { port } = await loadedSim("--api-key", "k1,k2")
    for (const given of ["k1", "k2"]) expect((await request(port, "/v1/models", { headers: { authorization: `Bearer ${given}` } })).status).toBe(200)
    expect((await request(port, "/v1/models", { headers: { authorization: "Bearer k1,k2" } })).status).toBe(401)
  })

  it("exits 1 with llama-server's messages for a missing model and an unknown flag", async () => {
    const port = await freePort()
    const missing = startSim(["--port", String(port), "-m", "/nonexistent/model.gguf"])
    expect(await missing.exited).toEqual({ code: 1, signal: null })
    expect(missing.stderr()).toMatch(/E gguf_init_from_file: failed to open GGUF file '\/nonexistent\/model\.gguf' \(No such file or directory\)/)
    expect(missing.stderr()).toMatch(/E srv {4}load_model: failed to load model, '\/nonexistent\/model\.gguf'/)
    expect(missing.stderr()).toMatch(/E srv  llama_server: exiting due to model loading error/)
    const bogus = startSim(["--bogus"])
    expect(await bogus.exited).toEqual({ code: 1, signal: null })
    expect(bogus.stderr()).toBe("error: invalid argument: --bogus\n")
    const pooling = startSim(["--pooling", "bogus"])
    expect(await pooling.exited).toEqual({ code: 1, signal: null })
    expect(pooling.stderr()).toMatch(/^error while handling argument "--pooling": invalid value$/m)
  })

  it("fails to bind a port that is taken", async () => {
    const port = await listen()
    const sim = startSim(baseArgs(port))
    expect(await sim.exited).toEqual({ code: 1, signal: null })
    expect(sim.stderr()).toMatch(new RegExp(`E srv {9}start: couldn't bind HTTP server socket, hostname: 127\\.0\\.0\\.1, port: ${port}$`, "m"))
    expect(sim.stderr()).toMatch(/E srv  llama_server: exiting due to HTTP server error/)
  })

  it("starts a router that serves no model of its own when given no -m, as the real server does", async () => {
    const port = await freePort()
    startSim(["--host", "127.0.0.1", "--port", String(port), "--alias", "tiny"])
    expect(await healthIs(port, 200)).toBe('{"status":"ok"}')
    expect(JSON.parse((await request(port, "/v1/models")).body)).toEqual({ data: [], object: "list" })
    expect((await request(port, "/v1/chat/completions", { method: "POST", body: '{"model":"tiny"}' })).status).toBe(400)
  })

  it("dies of SIGTERM while it loads, as the real server has no handler yet", async () => {
    const port = await freePort()
    const sim = startSim([...baseArgs(port), "--sim-load-ms", "5000"])
    await healthIs(port, 503)
    sim.child.kill("SIGTERM")
    expect(await sim.exited).toEqual({ code: null, signal: "SIGTERM" })
  })

  it("on SIGTERM with a request in flight, closes its listener and waits for the client; a second SIGTERM exits 1 at once", async () => {
    const port = await freePort()
    const sim = startSim([...baseArgs(port), "--sim-load-ms", "0", "--sim-wedge-after-ms", "0"])
    await waitFor(async () => ((await request(port, "/health")).status === 200 ? true : undefined))
    // A wedged server never answers /slots: the request stays in flight.
    void request(port, "/slots", { timeoutMs: 10_000 }).catch(() => undefined)
    await new Promise((resolve) => setTimeout(resolve, 100))
    sim.child.kill("SIGTERM")
    await waitFor(async () => (/cleaning up before exit/.test(sim.stderr()) ? true : undefined))
    await expect(request(port, "/health", { timeoutMs: 500 })).rejects.toThrow()
    expect(sim.child.exitCode).toBe(null)
    sim.child.kill("SIGTERM")
    expect(await sim.exited).toEqual({ code: 1, signal: null })
    expect(sim.stderr()).toContain("Received second interrupt, terminating immediately.")
  })

  it("stops on SIGTERM, logging as llama-server does", async () => {
    const port = await freePort()
    const sim = startSim([...baseArgs(port), "--sim-load-ms", "0"])
    await healthIs(port, 200)
    sim.child.kill("SIGTERM")
    expect(await sim.exited).toEqual({ code: 0, signal: null })
    expect(sim.stderr()).toMatch(/cleaning up before exit\.\.\./)
  })

  it("ignores SIGTERM when asked, so that only SIGKILL ends it", async () => {
    const port = await freePort()
    const sim = startSim([...baseArgs(port), "--sim-load-ms", "0", "--sim-ignore-sigterm"])
    await healthIs(port, 200)
    sim.child.kill("SIGTERM")
    await waitFor(async () => (/ignoring SIGTERM/.test(sim.stderr()) ? true : undefined))
    expect((await request(port, "/health")).status).toBe(200)
    sim.child.kill("SIGKILL")
    expect(await sim.exited).toEqual({ code: null, signal: "SIGKILL" })
  })

  it("crashes after a while with the given code or signal", async () => {
    const [a, b] = [await freePort(), await freePort()]
    const byCode = startSim([...baseArgs(a), "--sim-crash-after-ms", "100", "--sim-crash-code", "3"])
    const bySignal = startSim([...baseArgs(b), "--sim-crash-after-ms", "100", "--sim-crash-signal", "SIGABRT"])
    expect(await byCode.exited).toEqual({ code: 3, signal: null })
    expect(await bySignal.exited).toEqual({ code: null, signal: "SIGABRT" })
  })

  it("hangs when asked: connections are accepted but never answered", async () => {
    const port = await freePort()
    startSim([...baseArgs(port), "--sim-load-ms", "0", "--sim-hang-after-ms", "200"])
    await healthIs(port, 200)
    await waitFor(async () => {
      const answered = await request(port, "/health", { timeoutMs: 300 }).then(() => true, (error: Error) => error.name !== "TimeoutError")
      return answered ? undefined : true
    })
  })

  it("wedges when asked: /health and /v1/models still answer, /slots and /completion never do", async () => {
    const port = await freePort()
    startSim([...baseArgs(port), "--sim-load-ms", "0", "--sim-wedge-after-ms", "200"])
    await healthIs(port, 200)
    expect((await request(port, "/slots")).status).toBe(200)
    await waitFor(async () => {
      const answered = await request(port, "/slots", { timeoutMs: 300 }).then(() => true, (error: Error) => error.name !== "TimeoutError")
      return answered ? undefined : true
    })
    expect((await request(port, "/health")).status).toBe(200)
    expect((await request(port, "/v1/models")).status).toBe(200)
  })

  it("answers /health with another status when asked", async () => {
    const port = await freePort()
    startSim([...baseArgs(port), "--sim-load-ms", "0", "--sim-health-status", "500"])
    expect(JSON.parse(await healthIs(port, 500)).error.code).toBe(500)
  })
})
