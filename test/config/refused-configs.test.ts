import { execFileSync, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { runnableConfig, tempHome, writeConfig, writeModel } from "../support/home.js"
import { freePort } from "../support/net.js"
import { ORCH, type Run, hasStackTrace } from "../support/orch.js"

/**
 * Configs that parse but that no machine could run, or that used to hang or crash orch, through
 * the built CLI: each is refused at once with a finding, exit 1, and nothing written.
 */

const NUL = "holds a NUL character (\\u0000), which no program's arguments or environment can carry"

/**
 * The built `orch`, killed outright after 5 s: one blocked opening a FIFO ignores SIGTERM (Effect
 * waits for the read it cannot interrupt), so a hang fails the test instead of stalling the run.
 */
const orch = (args: ReadonlyArray<string>): Run => {
  const run = spawnSync(process.execPath, [ORCH, ...args], { env: { ...process.env, NO_COLOR: "1" }, encoding: "utf8", timeout: 5_000, killSignal: "SIGKILL" })
  return { code: run.status, stdout: run.stdout, stderr: run.stderr }
}

/** A home with a model and instance "a" written from `config` (an object, or raw text). */
const homeWith = (config: unknown) => {
  const home = tempHome()
  writeModel(home)
  return { home, file: writeConfig(home, "a", config) }
}

const validateJson = (home: string, file: string) => {
  const run = orch(["config", "validate", file, "--home", home, "--json"])
  return { run, findings: JSON.parse(run.stdout).findings as ReadonlyArray<{ file: string; field: string; problem: string }> }
}

/** Refused as a user mistake: exit 1 (not a timeout), no stack trace, no journal or logs folder made. */
const expectRefused = (home: string, run: Run) => {
  expect(run.code).toBe(1)
  expect(hasStackTrace(run)).toBe(false)
  expect(fs.existsSync(path.join(home, "journal"))).toBe(false)
  expect(fs.existsSync(path.join(home, "instances", "a", "logs"))).toBe(false)
}

describe("what the OS cannot spawn", () => {
  it.each([
    ["a NUL in args", { args: ["--metrics", "a\u0000b"] }, "args[1]", NUL],
    ["a NUL in an env value", { env: { TOKEN: "sec\u0000ret" } }, "env.TOKEN", NUL],
    ["a NUL in binary", { binary: "node\u0000" }, "binary", NUL],
    ["a NUL in model.path", { model: { path: "model.gguf\u0000" } }, "model.path", NUL],
    ["an argument of 300 KB", { args: ["--system-prompt", "x".repeat(300_000)] }, "args[1]",
      "is 300000 bytes long; Linux refuses an argument or variable of 131072 bytes or more"],
    ["an env name with =", { env: { "A=B": "1" } }, 'env["A=B"]', 'the name "A=B" holds "=", where a variable\'s name ends']
  ])("refuses %s in `config validate` and `up`", async (_, extra, field, problem) => {
    const { home, file } = homeWith(runnableConfig(await freePort(), extra))
    const validated = validateJson(home, file)
    expectRefused(home, validated.run)
    expect(validated.findings).toContainEqual(expect.objectContaining({ file, field, problem }))

    const up = orch(["up", "a", "--home", home])
    expectRefused(home, up)
    expect(up.stdout).toContain(field)
    expect(up.stdout).toContain(problem)
  })
})

describe("special files", () => {
  // Opening a FIFO to read the GGUF magic used to wait for a writer forever.
  it("refuses a FIFO as model.path at once in `config validate`, `config lint`, `doctor` and `up`", async () => {
    const home = tempHome()
    execFileSync("mkfifo", [path.join(home, "model.gguf")])
    const file = writeConfig(home, "a", runnableConfig(await freePort()))
    const problem = `${path.join(home, "model.gguf")} is a FIFO, not a file`

    const validated = validateJson(home, file)
    expectRefused(home, validated.run)
    expect(validated.findings).toEqual([{ file, instance: null, field: "model.path", problem, hint: "point model.path at a .gguf file" }])
    for (const args of [["config", "lint"], ["doctor"], ["up", "a"]]) {
      const run = orch([...args, "--home", home])
      expectRefused(home, run)
      expect(run.stdout).toContain(problem)
    }
  })

  it("refuses a FIFO as the config file itself", async () => {
    const home = tempHome()
    writeModel(home)
    const file = path.join(home, "instances", "a", "config.json")
    fs.mkdirSync(path.dirname(file), { recursive: true })
    execFileSync("mkfifo", [file])
    const validated = validateJson(home, file)
    expectRefused(home, validated.run)
    expect(validated.findings).toEqual([{ file, instance: null, field: "", problem: "it is a FIFO, not a file", hint: "make it a regular JSON file" }])
    const up = orch(["up", "a", "--home", home])
    expectRefused(home, up)
    expect(up.stdout).toContain("it is a FIFO, not a file")
  })
})

describe("deep nesting", () => {
  const deep = (levels: number) => `${"[".repeat(levels)}${"]".repeat(levels)}`
  const problem = "nested too deeply (more than 64 levels): a config is a few levels deep"

  it.each([
    ["100000 [", "[".repeat(100_000)],
    ["100000 levels inside args", `{"model": {"path": "model.gguf"}, "server": {"port": 8080}, "args": ${deep(100_000)}}`]
  ])("refuses %s in `config validate`, `config lint` and `up`, naming the file", (_, text) => {
    const { home, file } = homeWith(text)
    const validated = validateJson(home, file)
    expectRefused(home, validated.run)
    expect(validated.findings).toEqual([expect.objectContaining({ file, field: "", problem })])
    for (const args of [["config", "lint"], ["up", "a"]]) {
      const run = orch([...args, "--home", home])
      expectRefused(home, run)
      expect(run.stdout).toContain(problem)
    }
  })

  it("refuses it in autostart.json, which goes through the same reader", () => {
    const home = tempHome()
    fs.writeFileSync(path.join(home, "autostart.json"), deep(100_000))
    const run = orch(["daemon", "autostart", "--home", home])
    expectRefused(home, run)
    expect(run.stdout).toContain("autostart.json")
    expect(run.stdout).toContain(problem)
  })
})
