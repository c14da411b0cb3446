import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { decodeInstanceConfig } from "../../src/domain/config.js"
import type { InstanceState } from "../../src/domain/instances.js"
import { psRows } from "../../src/app/ps.js"
import { rowTone } from "../../src/cli/view/ps-table.js"

const base = { name: "x", pid: null, host: null, port: null, backend: null, device: null, model: null, desired: "up" as const, started_at: null, uptime_ms: null, restarts: 0, actual_pids: null }

describe("orch ps rows", () => {
  it.each([
    { status: "running", health: "healthy", tone: "green" },
    { status: "running", health: "loading", tone: "yellow" },
    { status: "starting", health: "unknown", tone: "yellow" },
    { status: "backoff", health: "unknown", tone: "yellow" },
    { status: "stopping", health: "healthy", tone: "yellow" },
    { status: "running", health: "unhealthy", tone: "red" },
    { status: "running", health: "error", tone: "red" },
    { status: "failed", health: "unknown", tone: "red" },
    { status: "stopped", health: "unknown", tone: "dim" },
    { status: "new", health: null, tone: "dim" }
  ] as const)("colours $status / $health $tone", ({ status, health, tone }) => {
    expect(rowTone({ ...base, status, health })).toBe(tone)
  })

  it("colours red a row whose processes contradict the journal", () => {
    expect(rowTone({ ...base, status: "stopped", health: "unknown", actual_pids: [7] })).toBe("red")
    expect(rowTone({ ...base, status: "running", health: "healthy", actual_pids: [] })).toBe("red")
  })

  it("takes the config the instance was started with over the one on disk, and lists disk-only ones as new", () => {
    const config = { model: { path: "/m/a.gguf" }, server: { port: 9001 } }
    const started = {
      name: "chat", desired: "up", status: "running", pid: 7, started_at: 1_000, health: "healthy", restart_count: 2, config, decoded_config: Either.getOrThrow(decodeInstanceConfig(config))
    } as unknown as InstanceState
    const rows = psRows([started], new Map<string, unknown>([["chat", { model: { path: "/m/b.gguf" }, server: { port: 9002 } }], ["coder", { model: { path: "/m/c.gguf" }, server: { port: 9003 } }]]), 61_000)
    expect(rows).toEqual([
      { name: "chat", pid: 7, host: "127.0.0.1", port: 9001, backend: "cpu", device: null, model: "a.gguf", status: "running", health: "healthy", desired: "up", started_at: 1_000, uptime_ms: 60_000, restarts: 2, actual_pids: null },
      { name: "coder", pid: null, host: "127.0.0.1", port: 9003, backend: "cpu", device: null, model: "c.gguf", status: "new", health: null, desired: null, started_at: null, uptime_ms: null, restarts: 0, actual_pids: null }
    ])
  })

  it("where the processes were looked at, gives the pids that run wherever they contradict the journal", () => {
    const instance = (name: string, pid: number | null) =>
      ({ name, desired: pid === null ? "down" : "up", status: pid === null ? "stopped" : "running", pid, started_at: pid === null ? null : 1_000, health: "unknown", restart_count: 0, config: null, decoded_config: null }) as unknown as InstanceState
    const running = new Map<string, ReadonlyArray<number>>([["agrees", [5]], ["unrecorded", [6]], ["duplicated", [7, 8]], ["unknown", [9]]])
    const rows = psRows([instance("agrees", 5), instance("gone", 4), instance("unrecorded", null), instance("duplicated", 7), instance("quiet", null)], new Map(), 2_000, running)
    expect(rows.map((row) => [row.name, row.status, row.actual_pids])).toEqual([
      ["agrees", "running", null],
      ["duplicated", "running", [7, 8]],
      ["gone", "running", []],
      ["quiet", "stopped", null],
      ["unknown", "new", [9]],
      ["unrecorded", "stopped", [6]]
    ])
  })
})
