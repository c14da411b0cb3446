import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import type { EventOf, NewEvent } from "../../src/domain/events.js"
import { Journal } from "../../src/journal/Journal.js"
import { addSim, servers, simHome } from "../support/daemon.js"
import { journalIn, withJournal } from "../support/journal.js"
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
    // No request went through the gateway: no section for them.
    expect(textRun.stdout).not.toMatch(/requests/)
    expect(described.requests).toEqual([])
  })

  it("shows the last requests the gateway served and how many of those kept failed; --json has them all, oldest first", async () => {
    const home = simHome()
    addSim(home, "chat", await freePort())
    const served = (fields: Partial<EventOf<"RequestServed">>): EventOf<"RequestServed"> => ({
      _tag: "RequestServed", endpoint: "/v1/chat/completions", status: 200, streamed: false, duration_ms: 300, queued_ms: 0,
      ttft_ms: null, prompt_tokens: 12, completion_tokens: 34, tokens_per_second: 45.25, ...fields
    })
    const requests = [
      served({ status: 0, prompt_tokens: null, completion_tokens: null, tokens_per_second: null, error: "the client left while it waited" }),
      served({}),
      served({ endpoint: "/v1/embeddings", prompt_tokens: 4, completion_tokens: null, tokens_per_second: null }),
      served({ streamed: true, ttft_ms: 120, duration_ms: 840 }),
      served({ streamed: true, ttft_ms: 95, error: "chat ended in the middle of the answer (other side closed); the daemon restarts it" }),
      served({ status: 400, prompt_tokens: null, completion_tokens: null, tokens_per_second: null }),
      served({ duration_ms: 2150, queued_ms: 1800 })
    ]
    const start = Date.parse("2026-03-01T10:00:00Z")
    await withJournal(journalIn(home), Effect.flatMap(Journal, (journal) => journal.append(requests.map((event, index): NewEvent => ({ instance: "chat", event, at: start + index * 1000 })))))

    const json = orch(["describe", "chat", "--json", "--home", home])
    expect(json.code, json.stderr).toBe(0)
    const shown = JSON.parse(json.stdout).requests
    expect(shown).toEqual(requests.map(({ _tag, ...fields }, index) => ({ at: start + index * 1000, ...fields })))
    expect(Object.keys(shown[0])).toEqual(["at", "endpoint", "status", "streamed", "duration_ms", "queued_ms", "ttft_ms", "prompt_tokens", "completion_tokens", "tokens_per_second", "error"])

    const text = orch(["describe", "chat", "--home", home])
    expect(text.code, text.stderr).toBe(0)
    // Three failed of the seven kept: the one the client left, the broken answer, the 400.
    expect(text.stdout).toContain("last 5 of 7 requests, 3 failed")
    const rows = text.stdout.split("\n").filter((line) => /│ \/v1\//.test(line))
    expect(rows).toHaveLength(5)
    expect(rows[0]).toMatch(/│ \/v1\/embeddings +│ 200 +│ 300 ms +│ - +│ 4\/- +│ - +│ +│$/)
    expect(rows[1]).toMatch(/│ \/v1\/chat\/completions +│ 200 +│ 840 ms +│ 120 ms +│ 12\/34 +│ 45\.3 +│ +│$/)
    expect(rows[2]).toContain("chat ended in the middle of the answer")
    expect(rows[3]).toMatch(/│ 400 +│ 300 ms +│ - +│ - +│ - +│/)
    expect(rows[4]).toMatch(/│ 2150 ms +│/)
    expect(text.stdout).not.toContain("the client left while it waited")
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
