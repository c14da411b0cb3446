import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { serviceName } from "../../src/domain/service.js"
import { addSim, simHome } from "../support/daemon.js"
import { freePort, listen } from "../support/net.js"
import { hasStackTrace, orch } from "../support/orch.js"

interface Check {
  readonly check: string
  readonly status: "ok" | "warn" | "fail"
  readonly detail: string
  readonly fix: string
}

const doctor = (home: string, env: NodeJS.ProcessEnv = {}) => {
  const run = orch(["doctor", "--json", "--home", home], { env })
  return { code: run.code, checks: JSON.parse(run.stdout) as ReadonlyArray<Check>, run }
}
const find = (checks: ReadonlyArray<Check>, name: string) => checks.find((check) => check.check === name)

describe("orch doctor", () => {
  it("finds what is wrong in a broken home, each with a fix, and exits 1", async () => {
    const home = simHome()
    const taken = await listen()
    addSim(home, "gone", await freePort(), [], { model: { path: "missing.gguf" } })
    addSim(home, "nobin", await freePort(), [], { binary: "/no/such/llama-server" })
    addSim(home, "clash", taken)
    fs.mkdirSync(path.join(home, "instances", "Bad Name"))
    const { code, checks, run } = doctor(home)
    expect(code).toBe(1)
    expect(hasStackTrace(run)).toBe(false)
    expect(find(checks, "gone: model")).toMatchObject({ status: "fail" })
    expect(find(checks, "nobin: binary")).toMatchObject({ status: "fail", detail: expect.stringContaining("/no/such/llama-server") })
    expect(find(checks, "clash: port")).toMatchObject({ status: "fail", detail: expect.stringContaining("in use by another process") })
    // Counted, not listed: `orch config lint` is where each is reported, and no other command looks at them.
    expect(find(checks, "instance folders")).toMatchObject({ status: "warn", detail: "1 folder under instances/ is not an instance and is ignored" })
    expect(checks.filter((check) => check.check.startsWith("Bad Name"))).toEqual([])
    for (const check of checks.filter((check) => check.status !== "ok")) expect(check.fix).not.toBe("")
    const text = orch(["doctor", "--home", home])
    expect(text.code).toBe(1)
    expect(text.stdout).toMatch(/✗ +│ clash: port/)
  })

  it("passes a working home with a running server: its port is held by its own server, the daemon runs, the version is known", async () => {
    const home = simHome()
    const port = await freePort()
    addSim(home, "chat", port)
    expect(orch(["up", "chat", "--home", home]).code).toBe(0)
    const { code, checks } = doctor(home)
    expect(checks.filter((check) => check.status === "fail")).toEqual([])
    expect(code).toBe(0)
    expect(find(checks, "chat: port")?.detail).toMatch(/held by its own server \(pid \d+\)/)
    expect(find(checks, "daemon")?.detail).toMatch(/^running \(pid \d+\)$/)
    expect(find(checks, "binary version")?.detail).toContain("version 0 (simulator)")
    expect(find(checks, "journal")?.detail).toMatch(/events, SQLite integrity ok/)
    expect(find(checks, "service")).toMatchObject({ status: "warn", fix: "orch install-service" })
  })

  it("finds the service that orch install-service installed", () => {
    const home = simHome()
    const config = simHome()
    const file = path.join(config, "systemd", "user", `${serviceName(home)}.service`)
    expect(find(doctor(home, { XDG_CONFIG_HOME: config }).checks, "service")?.status).toBe("warn")
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, orch(["install-service", "--print", "--home", home]).stdout)
    expect(find(doctor(home, { XDG_CONFIG_HOME: config }).checks, "service")).toMatchObject({ status: "ok", detail: `installed: ${file}` })
  })
})
