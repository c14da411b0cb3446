import * as fs from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { Journal } from "../../src/journal/Journal.js"
import { addSim, servers, simHome } from "../support/daemon.js"
import { tempHome } from "../support/home.js"
import { on, spawned, withJournal } from "../support/journal.js"
import { freePort } from "../support/net.js"
import { hasStackTrace, orch } from "../support/orch.js"

const writeConfig = (home: string, name: string, config: Record<string, unknown>) => {
  fs.mkdirSync(path.join(home, "instances", name), { recursive: true })
  fs.writeFileSync(path.join(home, "instances", name, "config.json"), JSON.stringify(config))
}

describe("orch ps", () => {
  it("says what to do next in a home without instances, and exits 0", () => {
    const home = tempHome()
    const run = orch(["ps", "--home", home])
    expect(run.stdout).toContain("No instances in")
    expect(run.stdout).toContain("orch init NAME --model PATH")
    expect(run.code).toBe(0)
    expect(orch(["ps", "--json", "--home", home]).stdout.trim()).toBe("[]")
  })

  it("hands what its fast path cannot read to the full CLI: a journal that is not one gives a message and exit 1", () => {
    const home = tempHome()
    fs.mkdirSync(path.join(home, "journal"), { recursive: true })
    fs.writeFileSync(path.join(home, "journal", "orch.db"), "not a database at all, just some text that is long enough to be read")
    const run = orch(["ps", "--home", home])
    expect(run.code).toBe(1)
    expect(run.stdout).toBe("")
    expect(run.stderr).toMatch(/^error: .*orch\.db/)
    expect(hasStackTrace(run)).toBe(false)
    expect(orch(["ps", "--help"]).stdout).toContain("--json")
  })

  it("lists configured and journaled instances as a table (NO_COLOR golden text)", async () => {
    const home = tempHome()
    writeConfig(home, "chat", { model: { path: "/models/qwen2.5-7b.gguf" }, server: { port: 8080 }, gpu: { backend: "cuda", device_id: 1 } })
    writeConfig(home, "broken", { model: {}, server: { port: "no" } })
    const coder = { model: { path: "/models/coder.gguf" }, server: { port: 8081 }, gpu: { backend: "vulkan", device_id: 0 } }
    await withJournal(
      path.join(home, "journal", "orch.db"),
      Effect.flatMap(Journal, (journal) =>
        journal.append([
          on("coder", { _tag: "ConfigApplied", config: coder, hash: "h" }),
          on("coder", { _tag: "StartRequested", by: "cli" }),
          on("coder", spawned(4242)),
          on("coder", { _tag: "StopRequested", by: "cli" }),
          on("coder", { _tag: "ProcessStopped", pid: 4242, how: "graceful", took_ms: 30 })
        ])
      )
    )
    const run = orch(["ps", "--home", home])
    expect(run.code).toBe(0)
    expect(run.stdout).toBe(
      [
        "┌────────┬─────┬──────┬─────────┬────────┬─────────────────┬─────────┬────────┬────────┬──────────┐",
        "│ name   │ pid │ port │ backend │ device │ model           │ status  │ health │ uptime │ restarts │",
        "├────────┼─────┼──────┼─────────┼────────┼─────────────────┼─────────┼────────┼────────┼──────────┤",
        "│ broken │ -   │ -    │ -       │ -      │ -               │ new     │ -      │ -      │ 0        │",
        "├────────┼─────┼──────┼─────────┼────────┼─────────────────┼─────────┼────────┼────────┼──────────┤",
        "│ chat   │ -   │ 8080 │ cuda    │ 1      │ qwen2.5-7b.gguf │ new     │ -      │ -      │ 0        │",
        "├────────┼─────┼──────┼─────────┼────────┼─────────────────┼─────────┼────────┼────────┼──────────┤",
        "│ coder  │ -   │ 8081 │ vulkan  │ 0      │ coder.gguf      │ stopped │ -      │ -      │ 0        │",
        "└────────┴─────┴──────┴─────────┴────────┴─────────────────┴─────────┴────────┴────────┴──────────┘",
        ""
      ].join("\n")
    )
    expect(run.stderr).toBe("")
  })

  it("shows a running server with its pid, health and uptime; --json has the documented fields; notes a stopped daemon", async () => {
    const home = simHome()
    const port = await freePort()
    addSim(home, "chat", port)
    expect(orch(["up", "chat", "--home", home]).code).toBe(0)
    const [server] = servers(home)
    const rows = JSON.parse(orch(["ps", "--json", "--home", home]).stdout)
    expect(rows).toEqual([
      {
        name: "chat", pid: server!.pid, host: "127.0.0.1", port, backend: "cpu", device: null, model: "tiny.gguf",
        status: "running", health: "healthy", desired: "up", started_at: expect.any(Number), uptime_ms: expect.any(Number), restarts: 0, actual_pids: null
      }
    ])
    expect(rows[0].uptime_ms).toBeGreaterThanOrEqual(0)
    const table = orch(["ps", "--home", home])
    expect(table.stdout).toMatch(new RegExp(`│ chat +│ ${server!.pid} +│ ${port} +│ cpu +│ - +│ tiny\\.gguf +│ running +│ healthy +│ \\d+s +│ 0 +│`))
    expect(table.stderr).toBe("")
    const coloured = orch(["ps", "--home", home], { env: { NO_COLOR: undefined, FORCE_COLOR: "1" } })
    expect(coloured.stdout).toContain("\u001b[32mhealthy\u001b[39m")

    expect(orch(["daemon", "stop", "--home", home]).code).toBe(0)
    const withoutDaemon = orch(["ps", "--home", home])
    expect(withoutDaemon.code).toBe(0)
    expect(withoutDaemon.stderr).toContain("the daemon is not running")
  })
})
