import { spawn } from "node:child_process"
import * as fs from "node:fs"
import { expect, onTestFinished } from "vitest"
import { platform } from "../../src/runtime/platform/current.js"

const { findMarked } = platform

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

/** Runs the demo to its end: its exit code and everything it printed. */
export const runDemo = async (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = {}) => {
  const demo = spawn(process.execPath, ["scripts/demo.mjs", ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1", ...env } })
  onTestFinished(() => void demo.kill("SIGKILL"))
  let out = ""
  demo.stdout.on("data", (chunk) => (out += chunk))
  demo.stderr.on("data", (chunk) => (out += chunk))
  const code = await new Promise<number | null>((resolve) => demo.once("exit", resolve))
  return { code, out }
}

/** Nothing of the demo's home is left: the folder, its servers, its daemon. */
export const expectCleanedUp = (out: string) => {
  const home = /a temporary home: (\S+)/.exec(out)?.[1]
  expect(home).toBeDefined()
  expect(fs.existsSync(home!)).toBe(false)
  expect(findMarked(home!)).toEqual([])
  expect(commandsNaming(home!)).toEqual([])
}
