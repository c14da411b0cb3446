import { spawn } from "node:child_process"
import * as fs from "node:fs"
import { describe, expect, it, onTestFinished } from "vitest"
import { findMarked } from "../../src/runtime/proc.js"

/** Processes whose command line names `text`: a daemon of the demo's home, say. */
const commandsNaming = (text: string) =>
  fs.readdirSync("/proc").filter((entry) => /^\d+$/.test(entry)).flatMap((pid) => {
    try {
      const command = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8")
      return command.includes(text) ? [`${pid}: ${command.replaceAll("\u0000", " ")}`] : []
    } catch {
      return []
    }
  })

describe("npm run demo (the README's first command)", () => {
  it("runs to the end on a machine without llama-server: a crash, growing restarts, the give-up, and no process left behind", async () => {
    const demo = spawn(process.execPath, ["scripts/demo.mjs"], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } })
    onTestFinished(() => void demo.kill("SIGKILL"))
    let out = ""
    demo.stdout.on("data", (chunk) => (out += chunk))
    demo.stderr.on("data", (chunk) => (out += chunk))
    const code = await new Promise<number | null>((resolve) => demo.once("exit", resolve))
    expect(code, out).toBe(0)
    expect(out).toMatch(/RestartScheduled +attempt 1 in 1s \(exited\)/)
    expect(out).toMatch(/RestartScheduled +attempt 2 in 2s \(exited\)/)
    expect(out).toMatch(/RestartGaveUp +gave up after 3 attempts/)
    expect(out).toMatch(/│ demo-chat +│ \d+ +│ 28081 +│ cpu/)
    const home = /a temporary home: (\S+)/.exec(out)?.[1]
    expect(home).toBeDefined()
    expect(fs.existsSync(home!)).toBe(false)
    expect(findMarked(home!)).toEqual([])
    expect(commandsNaming(home!)).toEqual([])
  }, 180_000)
})
