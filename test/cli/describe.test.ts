import { describe, expect, it } from "vitest"
import { addSim, servers, simHome } from "../support/daemon.js"
import { freePort } from "../support/net.js"
import { hasStackTrace, orch } from "../support/orch.js"
import { waitFor } from "../support/sim.js"

describe("orch describe", () => {
  it("shows a server's runtime, argv, env keys, logs, probes and restarts, with every secret hidden", async () => {
    const home = simHome()
    const port = await freePort()
    addSim(home, "chat", port, ["--api-key", "sekrit-123"], { env: { HF_TOKEN: "hf_secret_456", MY_FLAG: "1" }, restart_policy: { initial_delay: "200ms" } })
    expect(orch(["up", "chat", "--home", home]).code).toBe(0)
    const [first] = servers(home)
    process.kill(first!.pid, "SIGKILL")
    const second = await waitFor(async () => servers(home).find((server) => server.pid !== first!.pid), 10_000)
    await waitFor(async () => (JSON.parse(orch(["describe", "chat", "--json", "--home", home]).stdout).health === "healthy" ? true : undefined), 10_000)

    const run = orch(["describe", "chat", "--json", "--home", home])
    expect(run.code).toBe(0)
    expect(run.stdout).not.toMatch(/sekrit-123|hf_secret_456/)
    const described = JSON.parse(run.stdout)
    expect(described).toMatchObject({ name: "chat", status: "running", desired: "up", health: "healthy", pid: second.pid, restarts: 1 })
    expect(described.uptime_ms).toBeGreaterThanOrEqual(0)
    expect(described.config.args).toEqual(["--sim-load-ms", "50", "--api-key", "***"])
    expect(described.config.env).toEqual({ HF_TOKEN: "***", MY_FLAG: "1" })
    expect(described.argv).toContain("***")
    expect(described.env_keys).toEqual(expect.arrayContaining(["HF_TOKEN", "MY_FLAG", "LLAMA_ORCH_INSTANCE"]))
    expect(described.probes.length).toBeGreaterThan(0)
    expect(described.probes.length).toBeLessThanOrEqual(20)
    expect(described.restart_history).toEqual([expect.objectContaining({ attempt: 1, reason: "exited", delay_ms: 200, exit: { code: null, signal: "SIGKILL" } })])
    expect(described.logs.stderr.path).toMatch(/instances\/chat\/logs\/stderr\.log$/)
    expect(described.logs.stderr.size).toBeGreaterThan(0)

    const textRun = orch(["describe", "chat", "--home", home])
    expect(textRun.code).toBe(0)
    expect(textRun.stdout).not.toMatch(/sekrit-123|hf_secret_456/)
    expect(textRun.stdout).toMatch(new RegExp(`pid +${second.pid}, started`))
    expect(textRun.stdout).toContain("config (in effect), secrets hidden")
    expect(textRun.stdout).toMatch(/│ 1 +│ exited +│ SIGKILL +│ 200 ms +│/)
  })

  it("says which instances exist when the name is unknown: exit 1, no stack trace", () => {
    const home = simHome()
    const run = orch(["describe", "nope", "--home", home])
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('no instance "nope"')
    expect(run.stderr).toContain("orch ps")
    expect(hasStackTrace(run)).toBe(false)
  })
})
