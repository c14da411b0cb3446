import { describe, expect, it } from "vitest"
import { listen, freePort } from "../support/net.js"
import { TINY_MODEL, healthIs, request, startSim, waitFor } from "../support/sim.js"

const LOADING = '{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}'

/** The flags orch generates, for a simulator on a fresh port. */
const baseArgs = (port: number) => ["--host", "127.0.0.1", "--port", String(port), "-m", TINY_MODEL, "--alias", "tiny"]

describe("the llama-server simulator", () => {
  it("takes the real flags, answers 503 while loading and 200 once loaded", async () => {
    const port = await freePort()
    const sim = startSim([...baseArgs(port), "-c", "2048", "-b", "512", "-t", "2", "-np", "2", "-ngl", "0", "--sim-load-ms", "600"])
    expect(await healthIs(port, 503)).toBe(LOADING)
    expect(await healthIs(port, 200)).toBe('{"status":"ok"}')
    expect((await request(port, "/v1/health")).body).toBe('{"status":"ok"}')
    expect(sim.stderr()).toMatch(new RegExp(`main: HTTP server is listening, hostname: 127\\.0\\.0\\.1, port: ${port}`))
    expect(sim.stderr()).toMatch(/main: model loaded/)
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
    expect(missing.stderr()).toMatch(/srv {4}load_model: failed to load model, '\/nonexistent\/model\.gguf'/)
    expect(missing.stderr()).toMatch(/main: exiting due to model loading error/)
    const bogus = startSim(["--bogus"])
    expect(await bogus.exited).toEqual({ code: 1, signal: null })
    expect(bogus.stderr()).toBe("error: invalid argument: --bogus\n")
  })

  it("fails to bind a port that is taken", async () => {
    const port = await listen()
    const sim = startSim(baseArgs(port))
    expect(await sim.exited).toEqual({ code: 1, signal: null })
    expect(sim.stderr()).toMatch(/couldn't bind HTTP server socket/)
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
