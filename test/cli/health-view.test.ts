import { build } from "esbuild"
import { describe, expect, it } from "vitest"
import type { HealthInstance, HealthJson } from "../../src/app/shapes.js"
import { healthAllText, healthExitCode, healthText } from "../../src/cli/view/health.js"
import { ANSI } from "../../src/cli/view/palette.js"
import { formatTime } from "../../src/cli/view/time.js"

const plain = (text: string) => text.replace(ANSI, "")

const NOW = 1_700_000_000_000
const probe = { at: NOW - 5_000, result: "ok", status: 200, latency_ms: 3, path: "/health" } as const
const chat: HealthInstance = { name: "chat", health: "healthy", since: NOW - 125_000, status: "running", consecutive_failures: 0, attempts: 0, next_restart: null, probes: [probe] }
const coder: HealthInstance = {
  name: "coder", health: "unhealthy", since: null, status: "backoff", consecutive_failures: 3, attempts: 2,
  next_restart: { attempt: 3, due_at: NOW + 4_000, delay_ms: 4_000, reason: "unhealthy" }, probes: []
}
const one: HealthJson = {
  ...coder, retries: 3, max_retries: 10,
  probes: [{ _tag: "HealthProbed", ...probe }, { _tag: "HealthProbed", at: NOW - 1_000, result: "timeout", status: null, latency_ms: 5_000, path: "/health", reason: "no answer in 5 s" }]
}

describe("orch health's text, drawn from its JSON (src/cli/view/health.ts)", () => {
  it("tables every instance by name, with its last probe and next restart", () => {
    const lines = plain(healthAllText([coder, chat], NOW)).split("\n")
    const rows = lines.filter((line) => line.startsWith("│")).map((line) => line.replace(/ +/g, " "))
    expect(rows).toEqual([
      "│ instance │ health │ since │ last probe │ failures │ next restart │",
      "│ chat │ healthy │ 2m5s ago │ ok 200, 3 ms, 5s ago │ 0 │ - │",
      `│ coder │ unhealthy │ - │ - │ 3 │ #3 at ${formatTime(NOW + 4_000)} (unhealthy) │`
    ])
    expect(plain(healthAllText([], NOW))).toBe("No instances have any history yet.")
  })

  it("shows one instance's counts against their limits, and its probes", () => {
    const [state, counts, ...table] = plain(healthText(one, NOW)).split("\n")
    expect(state).toBe("coder: unhealthy (status backoff)")
    expect(counts).toBe(`failures in a row: 3 of 3; restarts in a row: 2 of 10; next restart: #3 at ${formatTime(NOW + 4_000)} (unhealthy)`)
    expect(table.filter((line) => line.startsWith("│")).slice(1)).toEqual([
      `│ ${formatTime(NOW - 5_000)} │ ok      │ 200    │ 3 ms    │ /health │                  │`,
      `│ ${formatTime(NOW - 1_000)} │ timeout │ -      │ 5000 ms │ /health │ no answer in 5 s │`
    ])
    expect(plain(healthText({ ...one, ...chat, retries: 3, max_retries: 10, probes: [] }, NOW)).split("\n")).toEqual([
      "chat: healthy for 2m5s (status running)",
      "failures in a row: 0 of 3; restarts in a row: 0 of 10; next restart: -"
    ])
  })

  it("exits 0 only where there is an instance and every one is healthy", () => {
    expect(healthExitCode([chat])).toBe(0)
    expect(healthExitCode([chat, coder])).toBe(1)
    expect(healthExitCode([])).toBe(1)
    expect(healthExitCode({ ...one, health: "healthy" })).toBe(0)
    expect(healthExitCode(one)).toBe(1)
    expect(healthExitCode({ ...one, health: "loading" })).toBe(1)
  })

  it("bundles without Effect, for the launcher that shows a daemon's answer", async () => {
    const { metafile } = await build({ entryPoints: ["src/cli/view/health.ts"], bundle: true, platform: "node", format: "cjs", write: false, metafile: true, logLevel: "silent" })
    const bundled = Object.values(metafile.outputs).flatMap((output) => Object.keys(output.inputs))
    expect(bundled.filter((input) => input.includes("node_modules/effect/"))).toEqual([])
    expect(bundled).toContain("node_modules/picocolors/picocolors.js")
  })
})
