import * as fs from "node:fs"
import * as path from "node:path"
import { Schema } from "effect"
import { fetch } from "undici"
import { describe, expect, it } from "vitest"
import { Described, DevicesJson, DoctorJson, EventJson, HealthAllJson, HealthJson, LintJson, PsJson, ValidateJson } from "../../src/app/shapes.js"
import { addSim, servers, simHome } from "../support/daemon.js"
import { freePort } from "../support/net.js"
import { orch } from "../support/orch.js"
import { waitFor } from "../support/sim.js"
import { apiOf } from "../support/sse.js"

const strict = { onExcessProperty: "error" } as const

/**
 * What a command printed is a value of its schema, field for field: decoding refuses a field the
 * schema does not name, and encoding back prints the same bytes, so no field is lost or reordered.
 */
const conforms = <A, I>(schema: Schema.Schema<A, I>, printed: string) => {
  const decoded = Schema.decodeUnknownSync(schema, strict)(JSON.parse(printed))
  expect(JSON.stringify(Schema.encodeSync(schema)(decoded), null, 2)).toBe(printed.trimEnd())
  return decoded
}

const refuses = <A, I>(schema: Schema.Schema<A, I>, value: unknown) =>
  expect(() => Schema.decodeUnknownSync(schema, strict)(value)).toThrow()

/** A chat request through the gateway on the daemon's listener: its status. */
const ask = async (origin: string, body: unknown) =>
  (await fetch(`${origin}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })).status

/** A stand-in llama-server that lists two GPUs and a line of a format it does not know. */
const fakeServer = (home: string) => {
  const file = path.join(home, "fake-llama-server")
  const listed = "Available devices:\n  Vulkan0: AMD Radeon RX 6800 (16368 MiB, 16112 MiB free)\n  CUDA0: NVIDIA GeForce RTX 4090 (24080 MiB, 23500 MiB free)\nsome line of a newer format\n"
  fs.writeFileSync(file, `#!/bin/sh\nprintf '%s' '${listed}'\n`, { mode: 0o755 })
  return file
}

describe("--json output shapes (src/app/shapes.ts)", () => {
  it("decodes strictly what each command prints in a home with running, restarted, stopped, failed, new and broken instances, and encodes back to the same bytes", async () => {
    const home = simHome()
    addSim(home, "chat", await freePort(), ["--sim-devices", "Vulkan0,Vulkan1"], { restart_policy: { initial_delay: "200ms" }, gpu: { backend: "vulkan", device_id: 1 } })
    addSim(home, "idle", await freePort())
    addSim(home, "bad", await freePort(), ["--bogus"])
    addSim(home, "fresh", await freePort())
    fs.mkdirSync(path.join(home, "instances", "broken"))
    fs.writeFileSync(path.join(home, "instances", "broken", "config.json"), JSON.stringify({ model: {}, server: { port: "no" } }))

    expect(orch(["up", "chat", "idle", "--home", home]).code).toBe(0)
    expect(orch(["up", "bad", "--home", home]).code).toBe(1)
    expect(orch(["down", "idle", "--home", home]).code).toBe(0)
    const [first] = servers(home).filter((server) => server.instance === "chat")
    process.kill(first!.pid, "SIGKILL")
    await waitFor(async () => servers(home).find((server) => server.instance === "chat" && server.pid !== first!.pid), 10_000)
    await waitFor(async () => (JSON.parse(orch(["describe", "chat", "--json", "--home", home]).stdout).health === "healthy" ? true : undefined), 10_000)
    expect(orch(["devices", "--binary", fakeServer(home), "--json", "--home", home]).code).toBe(0)
    // Requests served: an answer, a refusal by the server, and one the gateway refuses (idle is down) with its error.
    const origin = new URL((await apiOf(home)).url).origin
    expect(await ask(origin, { model: "chat", messages: [{ role: "user", content: "hi" }] })).toBe(200)
    expect(await ask(origin, { model: "chat" })).toBe(400)
    expect(await ask(origin, { model: "idle", messages: [{ role: "user", content: "hi" }] })).toBe(503)
    const describedJson = (name: string) => JSON.parse(orch(["describe", name, "--json", "--home", home]).stdout)
    await waitFor(async () => (describedJson("chat").requests.length === 2 && describedJson("idle").requests.length === 1 ? true : undefined), 10_000)

    const rows = conforms(PsJson, orch(["ps", "--json", "--home", home]).stdout)
    expect(rows.map((row) => [row.name, row.status])).toEqual([["bad", "failed"], ["broken", "new"], ["chat", "running"], ["fresh", "new"], ["idle", "stopped"]])

    const chat = conforms(Described, orch(["describe", "chat", "--json", "--home", home]).stdout)
    expect(chat.restart_history).toHaveLength(1)
    expect(chat.last_exit?.signal).toBe("SIGKILL")
    expect(chat.gpu).toEqual({ backend: "vulkan", selected_by: "--device Vulkan1" })
    expect(chat.requests.map((request) => request.status)).toEqual([200, 400])
    expect(conforms(Described, orch(["describe", "idle", "--json", "--home", home]).stdout).requests).toEqual([expect.objectContaining({ status: 503, error: expect.stringContaining("idle") })])
    for (const name of ["idle", "bad", "fresh", "broken"]) conforms(Described, orch(["describe", name, "--json", "--home", home]).stdout)

    const lines = orch(["events", "--json", "--home", home]).stdout.trimEnd().split("\n")
    const events = lines.map((line) => {
      const decoded = Schema.decodeUnknownSync(EventJson, strict)(JSON.parse(line))
      expect(JSON.stringify(Schema.encodeSync(EventJson)(decoded))).toBe(line)
      return decoded
    })
    expect([...new Set(events.map((event) => event.type))]).toEqual(expect.arrayContaining([
      "DaemonStarted", "ConfigApplied", "StartRequested", "ProcessSpawned", "HealthProbed", "SpawnFailed", "StopRequested", "ProcessStopped",
      "ProcessExited", "RestartScheduled", "DevicesListed", "RequestServed"
    ]))

    const valid = orch(["config", "validate", path.join(home, "instances", "fresh", "config.json"), "--json", "--home", home])
    expect(conforms(ValidateJson, valid.stdout).valid).toBe(true)
    const invalid = orch(["config", "validate", path.join(home, "instances", "broken", "config.json"), "--json", "--home", home])
    expect(invalid.code).toBe(1)
    expect(conforms(ValidateJson, invalid.stdout).findings.length).toBeGreaterThan(0)
    const lint = conforms(LintJson, orch(["config", "lint", "--json", "--home", home]).stdout)
    expect(lint.findings.some((finding) => finding.instance === "broken")).toBe(true)

    const devices = conforms(DevicesJson, orch(["devices", "--json", "--home", home]).stdout)
    expect(devices.devices.map((device) => device.name)).toEqual(["Vulkan0", "CUDA0"])
    expect(devices.unparsed).toEqual(["some line of a newer format"])

    const checks = conforms(DoctorJson, orch(["doctor", "--json", "--home", home]).stdout)
    expect(new Set(checks.map((check) => check.status))).toEqual(new Set(["ok", "warn", "fail"]))

    const all = conforms(HealthAllJson, orch(["health", "--all", "--json", "--home", home]).stdout)
    expect(all.find((instance) => instance.name === "chat")?.probes.length).toBeGreaterThan(0)
    const one = conforms(HealthJson, orch(["health", "chat", "--json", "--home", home]).stdout)
    expect(one.probes.length).toBeGreaterThan(0)
    // About thirty commands and a restart waited for: 19 s of the default 20 on a quiet CI run.
  }, 60_000)

  it("refuses what a command could not have printed", () => {
    const row = { name: "chat", pid: 4242, host: "127.0.0.1", port: 8080, backend: "cpu", device: null, model: "tiny.gguf", status: "running", health: "healthy", desired: "up", started_at: 1, uptime_ms: 2, restarts: 0, actual_pids: null }
    Schema.decodeUnknownSync(PsJson, strict)([row])
    refuses(PsJson, [{ ...row, status: "sleeping" }])
    refuses(PsJson, [{ ...row, backend: "metal" }])

    const logs = { stdout: { path: "/h/out.log", size: null }, stderr: { path: "/h/err.log", size: 3 } }
    const described = {
      name: "chat", status: "new", desired: null, health: null, health_since: null, pid: null, started_at: null, uptime_ms: null, restarts: 0, restarts_in_a_row: 0,
      max_retries: null, next_restart: null, last_exit: null, last_error: null, config: { model: { path: "m.gguf" } }, config_hash: null, argv: null, gpu: null,
      env_keys: [], probes: [], restart_history: [], requests: [], logs
    }
    Schema.decodeUnknownSync(Described, strict)(described)
    refuses(Described, { ...described, probes: [{ at: 1, result: "maybe", status: null, latency_ms: 1, path: "/health" }] })
    refuses(Described, { ...described, logs: { stdout: logs.stdout } })
    const { requests: _, ...withoutRequests } = described
    refuses(Described, withoutRequests)
    // The fold's requests carry no tag, and a status is the HTTP one (0: none).
    const request = { at: 1, endpoint: "/v1/chat/completions", status: 200, streamed: true, duration_ms: 9, queued_ms: 0, ttft_ms: 3, prompt_tokens: 5, completion_tokens: 7, tokens_per_second: 40.5 }
    Schema.decodeUnknownSync(Described, strict)({ ...described, requests: [request, { ...request, status: 0, error: "the client left while it waited" }] })
    refuses(Described, { ...described, requests: [{ _tag: "RequestServed", ...request }] })
    refuses(Described, { ...described, requests: [{ ...request, status: 1000 }] })
    refuses(Described, { ...described, requests: [{ ...request, ttft_ms: undefined }] })

    // Each type has its own data: a probe's type with a spawn's data is no line of `orch events`.
    const spawned = { pid: 7, start_time: "1", argv: ["llama-server"], stdout: "o", stderr: "e" }
    const line = { seq: 1, at: 1, time: "1970-01-01T00:00:00.001Z", instance: "chat", type: "ProcessSpawned", data: spawned }
    Schema.decodeUnknownSync(EventJson, strict)(line)
    refuses(EventJson, { ...line, type: "HealthProbed" })
    refuses(EventJson, { ...line, type: "NotAnEvent" })

    const finding = { file: "/h/instances/chat/config.json", instance: "chat", field: "server.port", problem: "must be a whole number", hint: "8080" }
    Schema.decodeUnknownSync(ValidateJson, strict)({ file: finding.file, valid: false, findings: [finding] })
    refuses(ValidateJson, { file: finding.file, valid: false, findings: [{ ...finding, instance: undefined }] })
    refuses(LintJson, { home: "/h", valid: true, findings: [] })

    const devices = { at: 1, binary: ["llama-server"], devices: [{ name: "Vulkan0", description: "AMD", total_mib: 16368, free_mib: 16112 }], unparsed: [] }
    Schema.decodeUnknownSync(DevicesJson, strict)(devices)
    refuses(DevicesJson, { ...devices, devices: [{ ...devices.devices[0], total_mib: "16 GiB" }] })

    refuses(DoctorJson, [{ check: "home", status: "error", detail: "", fix: "" }])

    // The fold's probes carry no tag; those `orch health NAME` reads from the journal carry the event's.
    const probe = { at: 1, result: "ok", status: 200, latency_ms: 3, path: "/health" }
    const health = { name: "chat", health: "healthy", since: 1, status: "running", consecutive_failures: 0, attempts: 0, next_restart: null }
    Schema.decodeUnknownSync(HealthAllJson, strict)([{ ...health, probes: [probe] }])
    // One instance also has the limits its text counts against; --all's list has not.
    const limits = { retries: 3, max_retries: 10 }
    Schema.decodeUnknownSync(HealthJson, strict)({ ...health, ...limits, probes: [{ _tag: "HealthProbed", ...probe }] })
    refuses(HealthAllJson, [{ ...health, probes: [{ _tag: "HealthProbed", ...probe }] }])
    refuses(HealthAllJson, [{ ...health, ...limits, probes: [probe] }])
    refuses(HealthJson, { ...health, ...limits, probes: [probe] })
    refuses(HealthJson, { ...health, probes: [{ _tag: "HealthProbed", ...probe }] })
    refuses(HealthJson, { ...health, ...limits, health: "new", probes: [] })
  })
})
