import { spawn } from "node:child_process"
import { describe, expect, it } from "vitest"
import { count, servers, supervisedHome, types } from "../support/daemon.js"
import { freePort, freePorts } from "../support/net.js"
import { ORCH, orch } from "../support/orch.js"
import { MODELS, addReal, chat, healthyAgain } from "../support/real.js"
import { request } from "../support/sim.js"

/** Whether a process with this pid still exists (a zombie counts until reaped). */
const exists = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe("the real llama-server, supervised", () => {
  it("starts: probes see it unreachable, then loading (503), then healthy; it serves its name and answers a chat", async () => {
    const home = supervisedHome()
    const port = await freePort()
    // The slow model, read whole (--load-mode none, formerly --no-mmap), loads long enough for the probes to see the 503.
    addReal(home, "chat", port, { model: { path: MODELS.slow, context_size: 256, threads: 1 }, args: ["--load-mode", "none"] })
    const up = orch(["up", "chat", "--home", home], { timeoutMs: 60_000 })
    expect(up.code, up.stdout + up.stderr).toBe(0)
    expect(up.stdout).toMatch(/✓ chat: healthy \(pid \d+/)
    const probes = types(home, "chat").filter((event) => event.type === "HealthProbed").map((event) => event.data)
    const firstOk = probes.findIndex((probe) => probe["result"] === "ok")
    expect(probes.slice(0, firstOk).map((probe) => probe["result"])).toContain("loading")
    expect(probes.find((probe) => probe["result"] === "loading")).toMatchObject({ status: 503, path: "/health" })
    expect(new Set(probes.slice(0, firstOk).map((probe) => probe["result"]))).toEqual(new Set(probes[0]!["result"] === "unreachable" ? ["unreachable", "loading"] : ["loading"]))

    const models = JSON.parse((await request(port, "/v1/models")).body) as { data: Array<{ id: string }> }
    expect(models.data[0]!.id).toBe("chat")
    const answer = await chat(port, "chat")
    expect(answer.status, answer.body).toBe(200)
    expect(JSON.parse(answer.body)).toMatchObject({ object: "chat.completion", choices: [expect.objectContaining({ index: 0 })] })
  })

  it("restarts a server killed with -9 while its neighbour runs on, and stops it gracefully with its exit code, leaving nothing", async () => {
    const home = supervisedHome()
    const [port, otherPort] = await freePorts(2)
    addReal(home, "tiny", port!)
    addReal(home, "coder", otherPort!, { model: { path: MODELS.other, context_size: 256, threads: 1 } })
    expect(orch(["up", "tiny", "coder", "--home", home]).code).toBe(0)
    const served = async (at: number) => (JSON.parse((await request(at, "/v1/models")).body) as { data: Array<{ id: string; meta: { n_embd: number } }> }).data[0]!
    expect(await served(port!)).toMatchObject({ id: "tiny", meta: { n_embd: 64 } })
    expect(await served(otherPort!)).toMatchObject({ id: "coder", meta: { n_embd: 96 } })
    const first = servers(home).find((server) => server.instance === "tiny")
    const neighbour = servers(home).find((server) => server.instance === "coder")
    process.kill(first!.pid, "SIGKILL")
    const second = await healthyAgain(home, "tiny", first!.pid)
    const events = types(home, "tiny").filter((event) => event.type !== "HealthProbed")
    expect(events.map((event) => event.type).slice(2)).toEqual(["ProcessSpawned", "ProcessExited", "RestartScheduled", "ProcessSpawned"])
    expect(events[3]!.data).toMatchObject({ pid: first!.pid, code: null, signal: "SIGKILL" })
    expect(events[4]!.data).toMatchObject({ attempt: 1, reason: "exited", delay_ms: 200 })
    expect(servers(home).sort((a, b) => a.instance.localeCompare(b.instance))).toEqual([neighbour, { pid: second, instance: "tiny" }])
    expect(count(home, "ProcessSpawned", "coder")).toBe(1)
    expect((await chat(port!, "tiny")).status).toBe(200)

    const down = orch(["down", "tiny", "coder", "--home", home])
    expect(down.code, down.stdout).toBe(0)
    const stopped = types(home, "tiny").filter((event) => event.type === "ProcessStopped")
    expect(stopped.map((event) => event.data)).toEqual([expect.objectContaining({ pid: second, how: "graceful", code: 0, signal: null })])
    expect(exists(neighbour!.pid)).toBe(false)
    expect(exists(second)).toBe(false)
    expect(servers(home)).toEqual([])
  })

  it("kills a server that waits for a client in flight after stop_timeout, and records it killed", async () => {
    const home = supervisedHome()
    const port = await freePort()
    // The slow model makes each token cost a pass over a few hundred MB: a long stream stays in flight.
    addReal(home, "busy", port, { model: { path: MODELS.slow, context_size: 2048, threads: 1 }, stop_timeout: "2s" })
    expect(orch(["up", "busy", "--home", home], { timeoutMs: 60_000 }).code).toBe(0)
    const [server] = servers(home)
    const stream = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      // ignore_eos: a sampled end of the story within the grace period would let the server end gracefully.
      body: JSON.stringify({ model: "busy", messages: [{ role: "user", content: "Tell a long story" }], max_tokens: 1_500, ignore_eos: true, stream: true }),
      signal: AbortSignal.timeout(60_000)
    })
    expect(stream.status).toBe(200)
    const reader = stream.body!.getReader()
    await reader.read()
    // The client keeps the request open and reads on: the server waits for it.
    const reading = (async () => {
      for (;;) if ((await reader.read().catch(() => ({ done: true }))).done) return
    })()
    const down = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = spawn(process.execPath, [ORCH, "down", "busy", "--home", home], { env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] })
      let stdout = ""
      child.stdout.on("data", (chunk) => (stdout += chunk))
      child.once("exit", (code) => resolve({ code, stdout }))
    })
    expect(down.code, down.stdout).toBe(0)
    await reading
    const stopped = types(home, "busy").find((event) => event.type === "ProcessStopped")!
    expect(stopped.data).toMatchObject({ pid: server!.pid, how: "killed", signal: "SIGKILL" })
    expect(stopped.data["took_ms"]).toBeGreaterThanOrEqual(2_000)
    expect(exists(server!.pid)).toBe(false)
    expect(servers(home)).toEqual([])
  })

  it("restarts a server frozen with SIGSTOP within interval × retries + timeout, and the stop does not wait for stop_timeout", async () => {
    const home = supervisedHome()
    const port = await freePort()
    addReal(home, "frozen", port, { healthcheck: { interval: "500ms", timeout: "300ms", retries: 2 }, stop_timeout: "10s" })
    expect(orch(["up", "frozen", "--home", home]).code).toBe(0)
    const [server] = servers(home)
    const frozeAt = Date.now()
    process.kill(server!.pid, "SIGSTOP")
    await healthyAgain(home, "frozen", server!.pid)
    const events = types(home, "frozen")
    const timeouts = events.filter((event) => event.type === "HealthProbed" && event.data["result"] === "timeout")
    expect(timeouts.length).toBeGreaterThanOrEqual(2)
    const scheduled = events.find((event) => event.type === "RestartScheduled")!
    expect(scheduled.data).toMatchObject({ reason: "unhealthy", attempt: 1 })
    // Unhealthy within interval × retries + timeout (+ the probe grid's wait for the first one).
    expect(scheduled.at - frozeAt).toBeLessThanOrEqual(500 * 2 + 300 + 500 + 250)
    // SIGCONT after SIGTERM, as systemd does: the frozen server wakes and exits on its own.
    const stopped = events.find((event) => event.type === "ProcessStopped")!
    expect(stopped.data).toMatchObject({ pid: server!.pid, how: "graceful" })
    expect(stopped.data["took_ms"]).toBeLessThan(10_000)
    expect(exists(server!.pid)).toBe(false)
    expect(count(home, "ProcessSpawned", "frozen")).toBe(2)
  })
})
