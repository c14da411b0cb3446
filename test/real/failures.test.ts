import * as net from "node:net"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { Journal } from "../../src/journal/Journal.js"
import { count, daemonPid, servers, supervisedHome, types } from "../support/daemon.js"
import { freePort, freePorts } from "../support/net.js"
import { orch } from "../support/orch.js"
import { journalIn, on, withJournal } from "../support/journal.js"
import { addReal, chat, described, healthyAgain, realConfig } from "../support/real.js"
import { request, waitFor } from "../support/sim.js"

/** A listener on 127.0.0.1 that the test closes when it likes. */
const hold = (port: number) =>
  new Promise<net.Server>((resolve, reject) => {
    const server = net.createServer()
    server.once("error", reject)
    server.listen(port, "127.0.0.1", () => resolve(server))
  })
const release = (server: net.Server) => new Promise((done) => server.close(done))

describe("the real llama-server, when things go wrong", () => {
  it("a port held by another process: refused before the spawn, retried, and started once the port is free", async () => {
    const home = supervisedHome()
    const port = await freePort()
    const holder = await hold(port)
    addReal(home, "late", port, { restart_policy: { initial_delay: "300ms", backoff_multiplier: 1 } })
    try {
      const up = orch(["up", "late", "--home", home])
      expect(up.code).toBe(1)
      expect(up.stdout).toContain(`late: not started: port 127.0.0.1:${port} is in use by another process (the daemon tries again`)
      await waitFor(async () => (count(home, "RestartScheduled", "late") >= 2 ? true : undefined), 10_000)
    } finally {
      await release(holder)
    }
    await healthyAgain(home, "late")
    expect(servers(home)).toHaveLength(1)
    expect((await chat(port, "late")).status).toBe(200)
  })

  it("a port taken between the check and the bind: llama-server's own exit 1 is a failed start with its words, retried", async () => {
    const home = supervisedHome()
    const [checked, taken] = await freePorts(2)
    const holder = await hold(taken!)
    try {
      // llama-server takes the last --port of its argv, and `args` come last: the daemon's check
      // of server.port passes and the bind fails, as in a race. (`up` refuses such args, so the
      // config is journaled as it would be applied.)
      const config = realConfig(checked!, { args: ["--port", String(taken)], restart_policy: { initial_delay: "300ms", backoff_multiplier: 1 } })
      await withJournal(journalIn(home), Effect.flatMap(Journal, (journal) => journal.append([
        on("raced", { _tag: "ConfigApplied", config, hash: "raced" }),
        on("raced", { _tag: "StartRequested", by: "cli" })
      ])))
      expect(orch(["daemon", "start", "--home", home]).code).toBe(0)
      // Three tries: llama.cpp logs from a worker thread, and once in a while (seen in CI, and by
      // hand on a busy machine) its last lines, or all of them, never reach the file before it exits.
      const failed = await waitFor(async () => {
        const found = types(home, "raced").filter((event) => event.type === "SpawnFailed")
        return found.length >= 3 ? found : undefined
      }, 15_000)
      for (const attempt of failed) {
        expect(attempt.data["reason"]).toMatch(/^it exited with code 1 before it was ready(: |$)/)
        expect(attempt.data["config_error"]).toBe(false)
      }
      const bind = new RegExp(`srv +start: couldn't bind HTTP server socket, hostname: 127\\.0\\.0\\.1, port: ${taken} \\| srv +operator\\(\\)`)
      expect(failed.filter((attempt) => bind.test(String(attempt.data["reason"]))).length).toBeGreaterThan(0)
      const retries = types(home, "raced").filter((event) => event.type === "RestartScheduled")
      expect(retries.slice(0, 2).map((event) => event.data)).toEqual([
        expect.objectContaining({ attempt: 1, reason: "failed_start" }),
        expect.objectContaining({ attempt: 2, reason: "failed_start" })
      ])
    } finally {
      await release(holder)
    }
  })

  it("an unknown flag in args: a failed start naming llama-server's own message, never retried", async () => {
    const home = supervisedHome()
    addReal(home, "typo", await freePort(), { args: ["--no-such-flag"] })
    const up = orch(["up", "typo", "--home", home])
    expect(up.code).toBe(1)
    expect(up.stdout).toContain("typo: not started: it exited with code 1 before it was ready: error: invalid argument: --no-such-flag")
    const failed = types(home, "typo").find((event) => event.type === "SpawnFailed")!
    expect(failed.data).toEqual({ reason: "it exited with code 1 before it was ready: error: invalid argument: --no-such-flag", config_error: true })
    // Long enough for a retry at restart_policy's 200 ms to have come.
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    expect(count(home, "RestartScheduled", "typo")).toBe(0)
    expect(count(home, "ProcessSpawned", "typo")).toBe(1)
    expect(described(home, "typo")).toMatchObject({ status: "failed", last_error: failed.data["reason"] })
    expect(orch(["describe", "typo", "--home", home]).stdout).toContain("why        it exited with code 1 before it was ready: error: invalid argument: --no-such-flag")
  })

  it("the daemon killed with -9 while the server runs: the next daemon adopts it, probes go on, no second server", async () => {
    const home = supervisedHome()
    const port = await freePort()
    addReal(home, "kept", port)
    expect(orch(["up", "kept", "--home", home]).code).toBe(0)
    const before = servers(home)
    process.kill(daemonPid(home)!, "SIGKILL")
    await waitFor(async () => (daemonPid(home) === undefined ? true : undefined))
    expect((await request(port, "/health")).status).toBe(200)

    expect(orch(["daemon", "start", "--home", home]).code).toBe(0)
    const adopted = await waitFor(async () => types(home, "kept").find((event) => event.type === "ProcessAdopted"), 10_000)
    expect(adopted.data["pid"]).toBe(before[0]!.pid)
    await waitFor(async () => (types(home, "kept").some((event) => event.seq > adopted.seq && event.type === "HealthProbed" && event.data["result"] === "ok") ? true : undefined), 10_000)
    expect(servers(home)).toEqual(before)
    expect(count(home, "ProcessSpawned", "kept")).toBe(1)
    expect(described(home, "kept")).toMatchObject({ health: "healthy", pid: before[0]!.pid })
  })
})
