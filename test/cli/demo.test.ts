import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it, onTestFinished } from "vitest"
import { expectCleanedUp, runDemo } from "../support/demo.js"
import { SIM, TINY_MODEL } from "../support/sim.js"

describe("npm run demo (the README's first command)", () => {
  it("runs to the end on a machine without llama-server: a crash, growing restarts, the give-up, and no process left behind", async () => {
    const { code, out } = await runDemo([])
    expect(code, out).toBe(0)
    expect(out).toMatch(/RestartScheduled +attempt 1 in 1s \(exited\)/)
    expect(out).toMatch(/RestartScheduled +attempt 2 in 2s \(exited\)/)
    expect(out).toMatch(/RestartGaveUp +gave up after 3 attempts/)
    expect(out).toMatch(/│ demo-chat +│ \d+ +│ 28081 +│ cpu/)
    expect(out).toMatch(/demo-chat +RequestServed +\/v1\/chat\/completions 200 in \d+ ms/)
    expectCleanedUp(out)
  }, 180_000)

  it("with --model and llama-server on PATH, runs demo-chat as that llama-server and shows it restarted after kill -9", async () => {
    // The simulator stands in for llama-server on PATH: what the demo does with it is the real flow.
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), "orch-demo-bin-"))
    onTestFinished(() => fs.rmSync(bin, { recursive: true, force: true }))
    fs.writeFileSync(path.join(bin, "llama-server"), `#!/bin/sh\nexec "${process.execPath}" "${path.resolve(SIM)}" "$@"\n`, { mode: 0o755 })
    const { code, out } = await runDemo(["--model", TINY_MODEL], { PATH: `${bin}:${process.env["PATH"]}` })
    expect(code, out).toBe(0)
    expect(out).toContain(`demo-chat is ${path.join(bin, "llama-server")} with ${path.resolve(TINY_MODEL)}`)
    const killed = /kill -9 llama-server \(pid (\d+)\)/.exec(out)?.[1]
    expect(killed).toBeDefined()
    // Adopted after the daemon's own kill -9, so the exit code is not the daemon's to know.
    expect(out).toMatch(new RegExp(`demo-chat +ProcessExited +pid ${killed} exited`))
    expect(out).toMatch(/demo-chat +RestartScheduled +attempt 1 in 1s \(exited\)/)
    expect(out).toMatch(/RestartGaveUp +gave up after 3 attempts/)
    expectCleanedUp(out)
  }, 240_000)

  it("with --model but no llama-server, says how to name one: exit 1, nothing started", async () => {
    const { code, out } = await runDemo(["--model", TINY_MODEL], { PATH: "/usr/bin:/bin" })
    expect(code).toBe(1)
    expect(out).toContain("error: llama-server is not on PATH: name it with --binary PATH")
  })
})
