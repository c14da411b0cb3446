import { describe, expect, it } from "vitest"
import { listen, freePort } from "../support/net.js"
import { TINY_MODEL, healthIs, request, startSim, waitFor } from "../support/sim.js"

const LOADING = '{"error":{"message":"Loading model","type":"unavailable_error","code":503}}'

/** The flags orch generates, for a simulator on a fresh port. */
const baseArgs = (port: number) => ["--host", "127.0.0.1", "--port", String(port), "-m", TINY_MODEL, "--alias", "tiny"]

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

  it("answers completions, plain and streamed", async () => {
    const port = await freePort()
    startSim([...baseArgs(port), "--sim-load-ms", "0", "--metrics"])
    await healthIs(port, 200)
    const completion = JSON.parse((await request(port, "/completion", { method: "POST", body: '{"prompt":"hi","n_predict":1}' })).body)
    expect(completion).toMatchObject({ stop: true })
    const chat = JSON.parse((await request(port, "/v1/chat/completions", { method: "POST", body: '{"messages":[]}' })).body)
    expect(chat.choices[0].message.role).toBe("assistant")
    const stream = await request(port, "/v1/chat/completions", { method: "POST", body: '{"stream":true}' })
    const lines = stream.body.split("\n").filter((line) => line.startsWith("data: "))
    expect(lines.at(-1)).toBe("data: [DONE]")
    expect(lines.length).toBeGreaterThan(2)
    expect((await request(port, "/metrics")).body).toMatch(/^llamacpp:tokens_predicted_total \d+$/m)
  })

  it("serves /metrics only with --metrics and /slots not with --no-slots", async () => {
    const port = await freePort()
    startSim([...baseArgs(port), "--sim-load-ms", "0", "--no-slots"])
    await healthIs(port, 200)
    expect((await request(port, "/metrics")).status).toBe(501)
    expect(JSON.parse((await request(port, "/slots")).body).error.type).toBe("not_supported_error")
  })

  it("asks for the API key everywhere but on health and models", async () => {
    const port = await freePort()
    startSim([...baseArgs(port), "--sim-load-ms", "0", "--api-key", "s3cret"])
    await healthIs(port, 200)
    expect((await request(port, "/props")).status).toBe(401)
    expect((await request(port, "/props", { headers: { authorization: "Bearer s3cret" } })).status).toBe(200)
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
