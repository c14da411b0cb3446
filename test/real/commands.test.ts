import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { supervisedHome } from "../support/daemon.js"
import { expectCleanedUp, runDemo } from "../support/demo.js"
import { freePort } from "../support/net.js"
import { hasStackTrace, orch } from "../support/orch.js"
import { LLAMA_SERVER, MODELS, addReal } from "../support/real.js"

describe("orch's commands that run the real llama-server themselves", () => {
  it("orch devices: a CPU build lists no device, which is shown, never an error", async () => {
    const home = supervisedHome()
    addReal(home, "chat", await freePort())
    const run = orch(["devices", "--home", home])
    expect(run.code, run.stdout + run.stderr).toBe(0)
    expect(hasStackTrace(run)).toBe(false)
    const listed = JSON.parse(orch(["devices", "--json", "--home", home]).stdout)
    expect(listed).toMatchObject({ binary: [LLAMA_SERVER], devices: [] })
    // What this build prints for "no GPU" is kept as it was, for a person to read.
    expect(listed.unparsed).toEqual(["  (none)"])
    expect(run.stdout).toContain("(none)")
  })

  it("orch doctor: reads the real --version from stderr", async () => {
    const home = supervisedHome()
    addReal(home, "chat", await freePort())
    const run = orch(["doctor", "--json", "--home", home])
    const checks = JSON.parse(run.stdout) as ReadonlyArray<{ check: string; status: string; detail: string }>
    expect(checks.find((check) => check.check === "binary version")).toMatchObject({ status: "ok", detail: expect.stringMatching(/version 0\.4\.0-dev \(build 1, commit 80fb11a\)/) })
    expect(checks.filter((check) => check.status === "fail")).toEqual([])
  })

  it("npm run demo -- --model <tiny> --binary <the real llama-server> runs to its end with nothing left behind", async () => {
    const { code, out } = await runDemo(["--model", MODELS.tiny, "--binary", LLAMA_SERVER])
    expect(code, out).toBe(0)
    expect(out).toContain(`demo-chat is ${LLAMA_SERVER} with ${path.resolve(MODELS.tiny)}`)
    const killed = /kill -9 llama-server \(pid (\d+)\)/.exec(out)?.[1]
    expect(killed).toBeDefined()
    expect(out).toMatch(new RegExp(`demo-chat +ProcessExited +pid ${killed} exited`))
    expect(out).toMatch(/demo-chat +RestartScheduled +attempt 1 in 1s \(exited\)/)
    expect(out).toMatch(/RestartGaveUp +gave up after 3 attempts/)
    expect(fs.existsSync(LLAMA_SERVER)).toBe(true)
    expectCleanedUp(out)
  }, 240_000)
})
