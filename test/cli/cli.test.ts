import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import pkg from "../../package.json" with { type: "json" }
import { runnableConfig, tempHome, writeConfig, writeModel } from "../support/home.js"
import { freePort } from "../support/net.js"
import { hasStackTrace, orch } from "../support/orch.js"

const ANSI = /\u001b\[/

describe("orch, the program", () => {
  it("prints its version", () => {
    const run = orch(["--version"])
    expect(run).toMatchObject({ code: 0 })
    expect(run.stdout.trim()).toBe(pkg.version)
  })

  it("lists every command with one line each in --help", () => {
    const run = orch(["--help"])
    expect(run.code).toBe(0)
    for (const command of ["init", "config validate", "config lint", "config schema"]) {
      expect(run.stdout).toMatch(new RegExp(`^\\s+- ${command} .*\\S$`, "m"))
    }
  })

  it("shows each command's options with their defaults", () => {
    const run = orch(["init", "--help"])
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/--profile cpu \| vulkan \| cuda/)
    expect(run.stdout).toMatch(/default: cpu/)
    expect(run.stdout).toMatch(/--port/)
    expect(run.stdout).toMatch(/default: \$LLAMA_ORCH_HOME, else the current directory/)
    expect(orch(["config", "validate", "--help"]).stdout).toMatch(/--json/)
  })

  it("exits 1 on an unknown command or a missing argument, without a stack trace", () => {
    for (const args of [["nope"], ["init"], ["init", "x"], ["init", "x", "--model", "m", "--profile", "rocm"]]) {
      const run = orch(args)
      expect(run.code, args.join(" ")).toBe(1)
      expect(hasStackTrace(run), run.stderr).toBe(false)
    }
  })

  it("writes no colour under NO_COLOR or into a pipe, and colour when forced", () => {
    expect(orch(["--help"]).stdout).not.toMatch(ANSI)
    expect(orch(["--help"], { env: { NO_COLOR: undefined } }).stdout).not.toMatch(ANSI)
    expect(orch(["--help"], { env: { NO_COLOR: undefined, FORCE_COLOR: "1" } }).stdout).toMatch(ANSI)
  })
})

describe("orch config validate", () => {
  it("exits 0 for a valid config", async () => {
    const home = tempHome()
    writeModel(home)
    const file = writeConfig(home, "ok", runnableConfig(await freePort()))
    const run = orch(["config", "validate", file, "--home", home])
    expect(run).toMatchObject({ code: 0 })
    expect(run.stdout).toBe(`✓ ${file} is valid\n`)
  })

  it("exits 1 with a table naming the file, the field, the problem and the fix", () => {
    const home = tempHome()
    const file = writeConfig(home, "bad", { model: { path: "m.gguf", contextSize: 1 }, server: { port: 70000 } })
    const run = orch(["config", "validate", file, "--home", home])
    expect(run.code).toBe(1)
    expect(run.stdout).toContain(`✗ ${file}: 2 problems`)
    expect(run.stdout).toMatch(/│ model\.contextSize\s+│ unknown key "contextSize"\s+│ did you mean "context_size"\?\s+│/)
    expect(run.stdout).toMatch(/│ server\.port\s+│ must be a whole number from 1 to 65535, got 70000\s+│/)
    expect(hasStackTrace(run)).toBe(false)
  })

  it("reports malformed JSON with its line and column", () => {
    const home = tempHome()
    const file = writeConfig(home, "x", '{\n  "model": { "path": "m" },\n  "server": { "port": 8080 }\n  "gpu": {}\n}')
    const run = orch(["config", "validate", file])
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/malformed JSON at line 4, column 3: expected ","/)
    expect(hasStackTrace(run)).toBe(false)
  })

  it("gives the same findings as JSON with --json", () => {
    const home = tempHome()
    const file = writeConfig(home, "bad", { model: { path: "m.gguf" }, server: { port: 0 } })
    const run = orch(["config", "validate", "--json", file])
    expect(run.code).toBe(1)
    expect(JSON.parse(run.stdout)).toEqual({
      file,
      valid: false,
      findings: [
        { file, instance: null, field: "server.port", problem: "must be a whole number from 1 to 65535, got 0", hint: "TCP port to listen on (--port); required, and unique per host" }
      ]
    })
  })

  it("exits 1 for a file that does not exist", () => {
    const run = orch(["config", "validate", "/nonexistent/config.json"])
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/file not found/)
  })
})

describe("orch config lint", () => {
  it("passes the repository's own example instances", () => {
    const run = orch(["config", "lint", "--home", "."])
    expect(run.stdout).toMatch(/^✓ 2 instances, no problems: demo-chat, demo-flaky$/m)
    expect(run.code).toBe(0)
  })

  it("finds the home from --home, else LLAMA_ORCH_HOME, else the current directory", async () => {
    const [a, b, c] = [tempHome(), tempHome(), tempHome()]
    for (const home of [a, b, c]) writeModel(home)
    writeConfig(a, "from-flag", runnableConfig(await freePort()))
    writeConfig(b, "from-env", runnableConfig(await freePort()))
    writeConfig(c, "from-cwd", runnableConfig(await freePort()))
    expect(orch(["config", "lint", "--home", a], { env: { LLAMA_ORCH_HOME: b }, cwd: c }).stdout).toMatch(/from-flag/)
    expect(orch(["config", "lint"], { env: { LLAMA_ORCH_HOME: b }, cwd: c }).stdout).toMatch(/from-env/)
    expect(orch(["config", "lint"], { cwd: c }).stdout).toMatch(/from-cwd/)
  })

  it("reports every problem of every instance in one table, and exits 1", async () => {
    const home = tempHome()
    writeModel(home)
    const port = await freePort()
    writeConfig(home, "a", runnableConfig(port))
    writeConfig(home, "b", runnableConfig(port, { gpu: { backend: "rocm" } }))
    writeConfig(home, "c", runnableConfig(port))
    writeConfig(home, "d", "{")
    const run = orch(["config", "lint", "--home", home, "--json"])
    expect(run.code).toBe(1)
    const report = JSON.parse(run.stdout)
    expect(report.valid).toBe(false)
    expect(report.findings.map((finding: { instance: string; field: string }) => `${finding.instance}:${finding.field}`)).toEqual([
      "a:server.port",
      "b:gpu.backend",
      "c:server.port",
      "d:"
    ])
    const table = orch(["config", "lint", "--home", home])
    expect(table.stdout).toMatch(/^✗ 4 problems in 4 instances under /m)
    expect(table.stdout).toMatch(/│ instance │ field\s+│ problem/)
  })

  it("reports an alias shared by two instances and a gateway.group that orch.json does not define, and exits 1", async () => {
    const home = tempHome()
    writeModel(home)
    fs.writeFileSync(path.join(home, "orch.json"), JSON.stringify({ http: { listen: "127.0.0.1:0" }, gateway: { groups: { gpu0: {} } } }))
    const a = writeConfig(home, "a", runnableConfig(await freePort(), { gateway: { aliases: ["chat"], group: "gpu1" } }))
    const b = writeConfig(home, "b", runnableConfig(await freePort(), { gateway: { aliases: ["chat"], group: "gpu0" } }))
    const run = orch(["config", "lint", "--home", home, "--json"])
    expect(run.code).toBe(1)
    expect(JSON.parse(run.stdout).findings).toEqual([
      { file: a, instance: "a", field: "gateway.aliases[0]", problem: '"chat" is also an alias of b', hint: 'keep "chat" on one instance: a request for it must mean one' },
      { file: a, instance: "a", field: "gateway.group", problem: `"gpu1" is not a group of orch.json's gateway.groups`, hint: 'did you mean "gpu0"?' },
      { file: b, instance: "b", field: "gateway.aliases[0]", problem: '"chat" is also an alias of a', hint: 'keep "chat" on one instance: a request for it must mean one' }
    ])
    const table = orch(["config", "lint", "--home", home])
    expect(table.code).toBe(1)
    expect(table.stdout).toMatch(/^✗ 3 problems in 2 instances under /m)
    expect(table.stdout).toMatch(/│ a\s+│ gateway\.group\s+│ "gpu1" is not a group of orch\.json's gateway\.groups\s+│ did you mean "gpu0"\?\s+│/)
    // One file alone says nothing of the others, as with ports: its own checks pass.
    expect(orch(["config", "validate", a, "--home", home]).code).toBe(0)
  })

  it("says how to start when the home has no instances", () => {
    const run = orch(["config", "lint", "--home", tempHome()])
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/No instances under .*\nCreate one: orch init NAME --model PATH/)
  })
})

describe("orch init", () => {
  it("writes a config that validates, then refuses to overwrite it", () => {
    const home = tempHome()
    writeModel(home, "models/qwen.gguf")
    const run = orch(["init", "qwen", "--profile", "vulkan", "--model", "models/qwen.gguf", "--home", home, "--json"], { cwd: home })
    expect(run.code).toBe(0)
    const created = JSON.parse(run.stdout)
    expect(created).toMatchObject({ name: "qwen", file: path.join(home, "instances", "qwen", "config.json") })
    const written = JSON.parse(fs.readFileSync(created.file, "utf8"))
    expect(written).toMatchObject({ model: { path: "models/qwen.gguf" }, gpu: { backend: "vulkan", device_id: 0 } })

    fs.writeFileSync(created.file, JSON.stringify({ ...written, binary: "node" }))
    expect(orch(["config", "validate", created.file, "--home", home])).toMatchObject({ code: 0 })

    const again = orch(["init", "qwen", "--model", "models/qwen.gguf", "--home", home])
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/error: instance "qwen" already exists/)
    expect(again.stderr).toMatch(/hint: /)
    expect(hasStackTrace(again)).toBe(false)
    expect(JSON.parse(fs.readFileSync(created.file, "utf8")).binary).toBe("node")
  })

  it("picks a different free port for each new instance", () => {
    const home = tempHome()
    writeModel(home)
    const ports = ["a", "b", "c"].map((name) => JSON.parse(orch(["init", name, "--model", "model.gguf", "--home", home, "--json"]).stdout).port)
    expect(new Set(ports).size).toBe(3)
    expect(orch(["config", "lint", "--home", home, "--json"]).stdout).not.toMatch(/is also used by/)
  })

  it("refuses a bad name with exit 1 and writes nothing", () => {
    const home = tempHome()
    const run = orch(["init", "Bad_Name", "--model", "m.gguf", "--home", home])
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/not a valid instance name/)
    expect(fs.existsSync(path.join(home, "instances"))).toBe(false)
  })
})
