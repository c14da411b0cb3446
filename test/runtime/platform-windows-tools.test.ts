import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { windowsPlatform } from "../../src/runtime/platform/windows.js"
import { bareHome, writeConfig } from "../support/home.js"

/**
 * The Windows platform's command-running parts, on Linux: stand-ins for `powershell` and
 * `taskkill` note every call (argv) and answer what the test set (fixtures from
 * test/fixtures/windows); the stand-in taskkill really ends the pids it is given, of the sleepers
 * the test started (never another process), so that what killTree leaves running shows.
 * process.kill(pid, 0) is the real one.
 */

const fixture = (name: string) => fs.readFileSync(path.join(import.meta.dirname, "..", "fixtures", "windows", name), "utf8")

interface Call {
  readonly tool: "powershell" | "taskkill"
  readonly argv: ReadonlyArray<string>
}

const children: Array<ChildProcess> = []
afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL")
})

const standIns = () => {
  const dir = bareHome()
  const calls = path.join(dir, "calls")
  const answer = path.join(dir, "answer")
  const failing = path.join(dir, "failing")
  const sleepers = path.join(dir, "sleepers")
  const script = (tool: string, body: string) => {
    const file = path.join(dir, tool)
    fs.writeFileSync(
      file,
      `#!${process.execPath}\nconst fs = require("node:fs")\nconst argv = process.argv.slice(2)\nfs.appendFileSync(${JSON.stringify(calls)}, JSON.stringify({ tool: ${JSON.stringify(tool)}, argv }) + "\\n")\n${body}\n`,
      { mode: 0o755 }
    )
    return file
  }
  const tools = {
    powershell: script(
      "powershell",
      `if (fs.existsSync(${JSON.stringify(failing)})) { process.stderr.write("Get-CimInstance : Access denied\\n"); process.exit(1) }\nprocess.stdout.write(fs.existsSync(${JSON.stringify(answer)}) ? fs.readFileSync(${JSON.stringify(answer)}) : "")`
    ),
    taskkill: script(
      "taskkill",
      `const ours = fs.existsSync(${JSON.stringify(sleepers)}) ? fs.readFileSync(${JSON.stringify(sleepers)}, "utf8").split("\\n") : []\nargv.forEach((arg, at) => { if (argv[at - 1] === "/PID" && ours.includes(arg)) process.kill(Number(arg), "SIGKILL") })`
    )
  }
  return {
    dir,
    tools,
    answer: (stdout: string) => fs.writeFileSync(answer, stdout),
    fail: () => fs.writeFileSync(failing, ""),
    /** A sleeping process that the stand-in taskkill may end. */
    sleeper: () => {
      const child = spawn("sleep", ["60"], { stdio: "ignore" })
      children.push(child)
      fs.appendFileSync(sleepers, `${child.pid}\n`)
      return child.pid!
    },
    // Complete lines only: a call still being written (one in the background) is not one yet.
    calls: (): Array<Call> => (fs.existsSync(calls) ? fs.readFileSync(calls, "utf8").split("\n").slice(0, -1).map((line) => JSON.parse(line) as Call) : []),
    /** The PowerShell script of a call, as -EncodedCommand carries it. */
    script: (call: Call) => {
      expect(call.tool).toBe("powershell")
      expect(call.argv.slice(0, 3)).toEqual(["-NoProfile", "-NonInteractive", "-EncodedCommand"])
      return Buffer.from(call.argv[3]!, "base64").toString("utf16le")
    }
  }
}

/** Windows PowerShell 5.1's answer for these processes (as cim-processes.json is). */
const answerOf = (rows: ReadonlyArray<{ readonly pid: number; readonly ms: number | null; readonly parent?: number; readonly commandLine?: string | null }>) =>
  JSON.stringify(rows.map(({ pid, ms, parent = 1, commandLine = null }) => ({ ProcessId: pid, ParentProcessId: parent, CreationDate: ms === null ? null : `/Date(${ms})/`, CommandLine: commandLine })))

const exited = () =>
  new Promise<number>((resolve) => {
    const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" })
    child.once("exit", () => resolve(child.pid!))
  })

const gone = (pid: number) => {
  try {
    process.kill(pid, 0)
    return false
  } catch {
    return true
  }
}

const until = async (check: () => boolean, ms = 5_000) => {
  for (const deadline = Date.now() + ms; !check(); await new Promise((resolve) => setTimeout(resolve, 25))) {
    if (Date.now() > deadline) throw new Error("timed out")
  }
}

describe("the Windows platform through stand-in powershell and taskkill", () => {
  it("startTimeOf: one look filtered by WQL to that pid; its start time as ms; undefined when no such process", () => {
    const { tools, answer, calls, script } = standIns()
    const windows = windowsPlatform(tools)
    answer(fixture("cim-process-pwsh7.json"))
    expect(windows.startTimeOf(6208)).toBe("1796270400123")
    answer("")
    expect(windows.startTimeOf(6208)).toBeUndefined()
    // An answer about another process is not this one's.
    answer(answerOf([{ pid: 6344, ms: 1796270401456 }]))
    expect(windows.startTimeOf(6208)).toBeUndefined()
    expect(calls()).toHaveLength(3)
    const look = script(calls()[0]!)
    expect(look).toContain("Get-CimInstance -ClassName Win32_Process -Filter 'ProcessId = 6208' |")
    expect(look).not.toContain("CommandLine")
  })

  it("startTimeOf: undefined, not a throw, when PowerShell fails or is missing", () => {
    const { tools, fail } = standIns()
    fail()
    expect(windowsPlatform(tools).startTimeOf(6208)).toBeUndefined()
    expect(windowsPlatform({ ...tools, powershell: path.join(bareHome(), "missing") }).startTimeOf(6208)).toBeUndefined()
  })

  it("isAlive: a look confirms the identity once, then kill(pid, 0) vouches for it; a pid held by another start time is not alive", () => {
    const { tools, answer, calls, script } = standIns()
    const windows = windowsPlatform(tools)
    answer(answerOf([{ pid: 4, ms: 1796267400500 }, { pid: process.pid, ms: 1796270400123 }]))
    expect(windows.isAlive(process.pid, "1796270400123")).toBe(true)
    expect(calls()).toHaveLength(1)
    expect(script(calls()[0]!)).toContain("Get-CimInstance -ClassName Win32_Process | ForEach-Object")
    expect(windows.isAlive(process.pid, "1796270400123")).toBe(true)
    // The pid as a journal might have recorded it for an earlier process: someone else has it now.
    expect(windows.isAlive(process.pid, "1796260000000")).toBe(false)
    expect(calls()).toHaveLength(1)
  })

  it("isAlive: past the trusted time, each answer is a new look, and a pid reused since is caught", () => {
    const { tools, answer, calls } = standIns()
    const windows = windowsPlatform(tools, 0)
    answer(answerOf([{ pid: process.pid, ms: 1796270400123 }]))
    expect(windows.isAlive(process.pid, "1796270400123")).toBe(true)
    answer(answerOf([{ pid: process.pid, ms: 1796279999999 }]))
    expect(windows.isAlive(process.pid, "1796270400123")).toBe(false)
    answer(answerOf([]))
    expect(windows.isAlive(process.pid, "1796279999999")).toBe(false)
    expect(calls()).toHaveLength(3)
  })

  it("isAlive: a pid no process has is gone without a look; a failed look leaves kill(pid, 0) to answer", async () => {
    const { tools, answer, fail, calls } = standIns()
    const windows = windowsPlatform(tools)
    answer(answerOf([{ pid: process.pid, ms: 1796270400123 }]))
    expect(windows.isAlive(await exited(), "1796270400123")).toBe(false)
    for (const pid of [0, -1, 1.5, Number.NaN]) expect(windows.isAlive(pid, "1796270400123")).toBe(false)
    expect(calls()).toEqual([])
    fail()
    expect(windows.isAlive(process.pid, "1796270400123")).toBe(true)
    expect(calls()).toHaveLength(1)
  })

  it("findMarked: this home's servers by their command lines, matched against the home's configs; never the daemon itself", () => {
    const { tools, answer, calls, script } = standIns()
    const home = bareHome()
    writeConfig(home, "chat", { model: { path: String.raw`models\qwen.gguf` }, server: { port: 8081 }, binary: String.raw`C:\llama\llama-server.exe` })
    writeConfig(home, "code", { model: { path: String.raw`C:\Models\Qwen Coder\qwen2.5-coder-7b.gguf` }, server: { port: 8082 }, args: ["--jinja"] })
    writeConfig(home, "wrapped", { model: { path: String.raw`models\small.gguf` }, server: { port: 8083 }, binary: [String.raw`C:\tools\llama.exe`, "serve"] })
    writeConfig(home, "broken", `{ "model": { "path": "models\\\\qwen.gguf" }, "server": { "port": 8091 }, }`)
    writeConfig(home, "invalid", { model: { path: String.raw`models\qwen.gguf` }, server: { port: 99999 } })
    const more = [
      // A daemon's own command line never holds these flags; even so, it is never its own server.
      { ProcessId: process.pid, ParentProcessId: 1, CreationDate: "/Date(1796270390000)/", CommandLine: String.raw`"C:\llama\llama-server.exe" --host 127.0.0.1 --port 8081 -m models\qwen.gguf --alias chat` },
      { ProcessId: 6800, ParentProcessId: 5120, CreationDate: "/Date(1796271100000)/", CommandLine: String.raw`"C:\llama\llama-server.exe" --host 127.0.0.1 --port 8091 -m models\qwen.gguf --alias broken` },
      { ProcessId: 6804, ParentProcessId: 5120, CreationDate: "/Date(1796271100000)/", CommandLine: String.raw`"C:\llama\llama-server.exe" --host 127.0.0.1 --port 99999 -m models\qwen.gguf --alias invalid` }
    ]
    answer(JSON.stringify([...(JSON.parse(fixture("cim-processes.json")) as Array<unknown>), ...more]))
    expect(windowsPlatform(tools).findMarked(home)).toEqual([
      { pid: 6208, instance: "chat", startTime: "1796270400123" },
      { pid: 6344, instance: "code", startTime: "1796270401456" },
      { pid: 6700, instance: "wrapped", startTime: "1796271000000" }
    ])
    const [call] = calls()
    expect(calls()).toHaveLength(1)
    const look = script(call!)
    expect(look).toContain("-Filter 'CommandLine LIKE ''%--alias%''' |")
    expect(look).toContain("CommandLine = $_.CommandLine")
  })

  it("findMarked: none of another home's, and none when PowerShell fails", () => {
    const { tools, answer, fail } = standIns()
    const other = bareHome()
    writeConfig(other, "chat", { model: { path: String.raw`models\qwen.gguf` }, server: { port: 9001 } })
    answer(fixture("cim-processes.json"))
    expect(windowsPlatform(tools).findMarked(other)).toEqual([])
    const home = bareHome()
    writeConfig(home, "chat", { model: { path: String.raw`models\qwen.gguf` }, server: { port: 8081 } })
    expect(windowsPlatform(tools).findMarked(home)).toEqual([{ pid: 6208, instance: "chat", startTime: "1796270400123" }])
    fail()
    expect(windowsPlatform(tools).findMarked(home)).toEqual([])
  })

  it("descendants: from one look at every process; [] when the look fails or prints anything else", async () => {
    const { tools, answer, fail, calls, script } = standIns()
    answer(fixture("cim-processes.json"))
    expect(await windowsPlatform(tools).descendants(6700)).toEqual([6704, 6712])
    expect(script(calls()[0]!)).toContain("Get-CimInstance -ClassName Win32_Process | ForEach-Object")
    answer("Get-CimInstance : The WS-Management service cannot process the request.")
    expect(await windowsPlatform(tools).descendants(6700)).toEqual([])
    fail()
    expect(await windowsPlatform(tools).descendants(6700)).toEqual([])
    expect(await windowsPlatform({ ...tools, powershell: path.join(bareHome(), "missing") }).descendants(6700)).toEqual([])
  })

  it("killTree: taskkill /T /F on the server, then /F on each listed descendant still running that /T missed", async () => {
    const { tools, calls, sleeper } = standIns()
    const server = sleeper()
    const missed = sleeper()
    const ended = await exited()
    windowsPlatform(tools).killTree(server, [missed, ended])
    expect(calls()).toEqual([
      { tool: "taskkill", argv: ["/PID", String(server), "/T", "/F"] },
      { tool: "taskkill", argv: ["/PID", String(missed), "/F"] }
    ])
    await until(() => gone(server) && gone(missed))
  })

  it("killTree: one taskkill when nothing else is left; never a throw, taskkill missing or not", () => {
    const { tools, calls, sleeper } = standIns()
    const server = sleeper()
    windowsPlatform(tools).killTree(server, [])
    expect(calls()).toEqual([{ tool: "taskkill", argv: ["/PID", String(server), "/T", "/F"] }])
    expect(() => windowsPlatform({ ...tools, taskkill: path.join(bareHome(), "missing") }).killTree(sleeper(), [])).not.toThrow()
  })

  it("askToStop: cannot ask (no console to send Ctrl-C to), so the stop kills at once; runs nothing", () => {
    const { tools, calls } = standIns()
    expect(windowsPlatform(tools).askToStop(6208)).toBe(false)
    expect(calls()).toEqual([])
  })

  it("by default runs the powershell and taskkill found on PATH", () => {
    const { dir, answer, calls, sleeper } = standIns()
    const saved = process.env["PATH"]
    process.env["PATH"] = `${dir}${path.delimiter}${saved}`
    try {
      answer(fixture("cim-process-pwsh7.json"))
      expect(windowsPlatform().startTimeOf(6208)).toBe("1796270400123")
      windowsPlatform().killTree(sleeper(), [])
    } finally {
      process.env["PATH"] = saved
    }
    expect(calls().map((call) => call.tool)).toEqual(["powershell", "taskkill"])
  })

  it("spawns a server detached, without a console window", () => {
    expect(windowsPlatform().spawnOptions).toEqual({ detached: true, windowsHide: true })
  })
})
