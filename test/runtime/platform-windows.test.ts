import * as fs from "node:fs"
import * as path from "node:path"
import { Either } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { buildArgv } from "../../src/domain/argv.js"
import { type InstanceConfig, decodeInstanceConfig } from "../../src/domain/config.js"
import { flagValue, instanceOf, splitCommandLine } from "../../src/runtime/platform/windows-argv.js"
import { type CimProcess, descendantsIn, lookScript, parseProcesses, startTimeFrom } from "../../src/runtime/platform/windows-cim.js"
import { killArgv, killTreeArgv, powershellArgv } from "../../src/runtime/platform/windows-commands.js"

/** The Windows platform's pure parts: fixtures in test/fixtures/windows (their README says where their shapes come from). */

const fixture = (name: string) => fs.readFileSync(path.join(import.meta.dirname, "..", "fixtures", "windows", name), "utf8")

/**
 * How Node puts an argument on a Windows command line (libuv's quote_cmd_arg): bare if it has no
 * blank or quote, else in quotes, with a backslash before each quote and the backslashes before a
 * quote (or the closing one) doubled.
 */
const quoteLikeNode = (arg: string) => {
  if (arg === "") return '""'
  if (!/[ \t"]/.test(arg)) return arg
  let quoted = '"'
  let backslashes = 0
  for (const char of arg) {
    if (char === "\\") {
      backslashes++
      continue
    }
    quoted += "\\".repeat(char === '"' ? backslashes * 2 + 1 : backslashes) + char
    backslashes = 0
  }
  return `${quoted}${"\\".repeat(backslashes * 2)}"`
}

describe("splitCommandLine (CommandLineToArgvW's rules)", () => {
  it.each([
    { line: String.raw`"C:\llama\llama-server.exe" --host 127.0.0.1 --port 8081 -m models\qwen.gguf --alias chat`, argv: [String.raw`C:\llama\llama-server.exe`, "--host", "127.0.0.1", "--port", "8081", "-m", String.raw`models\qwen.gguf`, "--alias", "chat"] },
    { line: String.raw`C:\llama\llama-server.exe -m "C:\Models\Qwen Coder\q.gguf" --alias code`, argv: [String.raw`C:\llama\llama-server.exe`, "-m", String.raw`C:\Models\Qwen Coder\q.gguf`, "--alias", "code"] },
    // The program's path: up to the next quote, backslashes and all, even with no blank after it.
    { line: String.raw`"C:\Program Files\dir\"a b`, argv: ["C:\\Program Files\\dir\\", "a", "b"] },
    { line: `"C:\\Program Files\\x.exe"a b`, argv: [String.raw`C:\Program Files\x.exe`, "a", "b"] },
    { line: "prog", argv: ["prog"] },
    { line: "prog   ", argv: ["prog"] },
    { line: "", argv: [] },
    { line: "prog a\t\tb  ", argv: ["prog", "a", "b"] },
    { line: 'prog "" x', argv: ["prog", "", "x"] },
    { line: 'prog "a b" c', argv: ["prog", "a b", "c"] },
    { line: 'prog a"b c"d', argv: ["prog", "ab cd"] },
    // Backslashes are literal unless a quote follows: 2n then are n and the quote delimits, 2n+1 are n and a literal quote.
    { line: String.raw`prog a\\b d"e f"g h`, argv: ["prog", String.raw`a\\b`, "de fg", "h"] },
    { line: String.raw`prog a\\\"b c d`, argv: ["prog", String.raw`a\"b`, "c", "d"] },
    { line: String.raw`prog a\\\\"b c" d e`, argv: ["prog", String.raw`a\\b c`, "d", "e"] },
    { line: String.raw`prog "C:\Models\" x`, argv: ["prog", String.raw`C:\Models" x`] },
    { line: String.raw`prog "C:\Models\\" x`, argv: ["prog", "C:\\Models\\", "x"] },
    // Consecutive quotes: every third is literal; a pair in quotes is one literal quote that also closes them.
    { line: 'prog a"b"" c d', argv: ["prog", 'ab"', "c", "d"] },
    { line: 'prog """a b"""', argv: ["prog", '"a', 'b"'] },
    // Unclosed quotes run to the end.
    { line: 'prog "a b', argv: ["prog", "a b"] }
  ])("$line", ({ line, argv }) => {
    expect(splitCommandLine(line)).toEqual(argv)
  })

  it("gives back every argv as Node puts it on a command line", () => {
    const arg = fc.stringOf(fc.constantFrom("a", "é", "-", " ", "\t", '"', "\\", "\n"))
    fc.assert(
      fc.property(fc.array(arg), (args) => {
        const argv = [String.raw`C:\Program Files\llama\llama-server.exe`, ...args]
        expect(splitCommandLine(argv.map(quoteLikeNode).join(" "))).toEqual(argv)
      }),
      { numRuns: 2_000 }
    )
  })
})

describe("startTimeFrom", () => {
  const instant = "1796270400123" // 2026-12-03T04:00:00.123Z
  it.each([
    { text: "/Date(1796270400123)/", form: "Windows PowerShell 5.1's ConvertTo-Json" },
    { text: "/Date(1796270400123+0100)/", form: "the same with a zone, which does not move the UTC ms" },
    { text: "2026-12-03T04:00:00.1234560Z", form: "lookScript's UTC ISO ('o')" },
    { text: "2026-12-03T05:00:00.123456+01:00", form: "PowerShell 7's local ISO" },
    { text: "2026-12-02T23:00:00.1239-05:00", form: "ISO behind UTC; the fraction cut, not rounded" },
    { text: "2026-12-03T04:00:00.123Z", form: "ISO with ms" },
    { text: "20261203050000.123456+060", form: "DMTF ahead of UTC" },
    { text: "20261202230000.123999-300", form: "DMTF behind UTC; the microseconds cut" },
    { text: "20261203040000.123000+000", form: "DMTF at UTC" }
  ])("$form: $text", ({ text }) => {
    expect(startTimeFrom(text)).toBe(instant)
  })

  it("reads an ISO time with no zone as this machine's local time, as PowerShell wrote it", () => {
    expect(startTimeFrom("2026-12-03T05:00:00.5")).toBe(String(new Date(2026, 11, 3, 5, 0, 0, 500).getTime()))
  })

  it("tells instants a millisecond apart", () => {
    expect(startTimeFrom("/Date(1796270400124)/")).not.toBe(instant)
    expect(startTimeFrom("20261203050000.124000+060")).toBe("1796270400124")
  })

  it.each(["", "yesterday", "2026-12-03", "/Date()/", "20261203050000+060", "20261203050000.123456", "\\/Date(1796270400123)\\/"])("refuses %j", (text) => {
    expect(startTimeFrom(text)).toBeUndefined()
  })
})

describe("parseProcesses", () => {
  it("reads Windows PowerShell 5.1's array, with nulls for what a process does not show", () => {
    const processes = parseProcesses(fixture("cim-processes.json"))
    expect(processes).toHaveLength(16)
    expect(processes[0]).toEqual({ pid: 0, parentPid: 0, startTime: undefined, commandLine: null })
    expect(processes[1]).toEqual({ pid: 4, parentPid: 0, startTime: "1796267400500", commandLine: null })
    expect(processes.find((process) => process.pid === 6208)).toEqual({
      pid: 6208,
      parentPid: 5120,
      startTime: "1796270400123",
      commandLine: String.raw`"C:\llama\llama-server.exe" --host 127.0.0.1 --port 8081 -m models\qwen.gguf --alias chat`
    })
  })

  it("reads PowerShell 7's single object (one result is not an array of one) to the same identity as 5.1's", () => {
    const [one] = parseProcesses(fixture("cim-process-pwsh7.json"))
    expect(one).toEqual(parseProcesses(fixture("cim-processes.json")).find((process) => process.pid === 6208))
  })

  it.each([
    { stdout: "", what: "nothing (no result)" },
    { stdout: "\r\n", what: "a line end" },
    { stdout: "[]\r\n", what: "an empty array" }
  ])("no processes from $what", ({ stdout }) => {
    expect(parseProcesses(stdout)).toEqual([])
  })

  it("reads lookScript's own output: UTF-8 with a BOM, no command lines asked", () => {
    expect(parseProcesses('\uFEFF[{"ProcessId":6208,"ParentProcessId":5120,"CreationDate":"2026-12-03T04:00:00.1234560Z"}]\r\n')).toEqual([
      { pid: 6208, parentPid: 5120, startTime: "1796270400123", commandLine: null }
    ])
  })

  it.each([
    "Get-CimInstance : Access denied",
    '{"ProcessId":"6208","ParentProcessId":5120,"CreationDate":null}',
    '[{"ParentProcessId":5120,"CreationDate":null}]',
    "null"
  ])("throws on anything else: %j", (stdout) => {
    expect(() => parseProcesses(stdout)).toThrow()
  })
})

describe("descendantsIn", () => {
  const processes = parseProcesses(fixture("cim-processes.json"))

  it("walks the tree by parent pid, nearest first, leaving out a process older than its parent (that pid's earlier owner's child)", () => {
    expect(descendantsIn(processes, 6700)).toEqual([6704, 6712])
  })

  it("finds the daemon's children and theirs", () => {
    expect(descendantsIn(processes, 5120)).toEqual([6208, 6344, 6612, 6700, 7000, 6704, 6712])
  })

  it("none for a leaf, or for a pid not in the look", () => {
    expect(descendantsIn(processes, 6208)).toEqual([])
    expect(descendantsIn(processes, 4242)).toEqual([])
  })

  it("ends on a cycle of parent pids, and leaves out a child whose start is unknown", () => {
    const cycle: ReadonlyArray<CimProcess> = [
      { pid: 10, parentPid: 11, startTime: "5", commandLine: null },
      { pid: 11, parentPid: 10, startTime: "5", commandLine: null },
      { pid: 12, parentPid: 11, startTime: undefined, commandLine: null }
    ]
    expect(descendantsIn(cycle, 10)).toEqual([11])
  })
})

describe("instanceOf", () => {
  const config = (input: unknown): InstanceConfig => Either.getOrThrow(decodeInstanceConfig(input))
  const configs: Record<string, InstanceConfig> = {
    chat: config({ model: { path: String.raw`models\qwen.gguf` }, server: { port: 8081 }, binary: String.raw`C:\llama\llama-server.exe` }),
    code: config({ model: { path: String.raw`C:\Models\Qwen Coder\q.gguf` }, server: { port: 8082 }, args: ["--alias", "chat"] })
  }
  const configOf = (name: string) => configs[name]
  const argvOf = (name: string) => buildArgv(name, configs[name]!)

  it.each([
    { what: "the argv buildArgv makes for chat", argv: argvOf("chat"), instance: "chat" },
    { what: "the first --alias, ours, not one in the config's args", argv: argvOf("code"), instance: "code" },
    { what: "another port (another home's chat)", argv: ["s", "--port", "9000", "-m", String.raw`models\qwen.gguf`, "--alias", "chat"], instance: undefined },
    { what: "another model", argv: ["s", "--port", "8081", "-m", "models\\other.gguf", "--alias", "chat"], instance: undefined },
    { what: "an alias of no instance here", argv: ["s", "--port", "8081", "-m", String.raw`models\qwen.gguf`, "--alias", "other"], instance: undefined },
    { what: "an alias that is no instance name", argv: ["s", "--port", "8081", "-m", String.raw`models\qwen.gguf`, "--alias", "..\\chat"], instance: undefined },
    { what: "no alias", argv: ["s", "--port", "8081", "-m", String.raw`models\qwen.gguf`], instance: undefined },
    { what: "an alias with no value", argv: ["s", "--port", "8081", "--alias"], instance: undefined }
  ])("$what", ({ argv, instance }) => {
    expect(instanceOf(argv, configOf)).toBe(instance)
  })

  it("reads a flag after the program only", () => {
    expect(flagValue(["--alias", "--alias", "x"], "--alias")).toBe("x")
  })

  it("asks for a config only by a valid instance name", () => {
    const asked: Array<string> = []
    instanceOf(["s", "--alias", "../../etc"], (name) => (asked.push(name), undefined))
    instanceOf(["s", "--alias", "chat"], (name) => (asked.push(name), undefined))
    expect(asked).toEqual(["chat"])
  })
})

describe("the commands run", () => {
  const decoded = (argv: ReadonlyArray<string>) => Buffer.from(argv[3]!, "base64").toString("utf16le")

  it("powershell: no profile, no prompt, the script base64 of UTF-16LE", () => {
    const script = "Write-Output 'Modèles ✓'"
    const argv = powershellArgv(script)
    expect(argv.slice(0, 3)).toEqual(["-NoProfile", "-NonInteractive", "-EncodedCommand"])
    expect(argv[3]).toMatch(/^[A-Za-z0-9+/]+=*$/)
    expect(decoded(argv)).toBe(script)
  })

  it("a look: WQL filter in PowerShell's single quotes, UTC ISO start times, always an array, UTF-8", () => {
    const script = lookScript({ filter: "CommandLine LIKE '%--alias%'", commandLines: true })
    expect(script).toContain("Get-CimInstance -ClassName Win32_Process -Filter 'CommandLine LIKE ''%--alias%''' |")
    expect(script).toContain("$_.CreationDate.ToUniversalTime().ToString('o')")
    expect(script).toContain("CommandLine = $_.CommandLine")
    expect(script).toContain("ConvertTo-Json -InputObject $found -Compress")
    expect(script).toContain("[Console]::OutputEncoding = New-Object System.Text.UTF8Encoding $false")
    expect(script.indexOf("OutputEncoding")).toBeLessThan(script.indexOf("ConvertTo-Json"))
  })

  it("a look at every process, without command lines", () => {
    const script = lookScript({ commandLines: false })
    expect(script).toContain("Get-CimInstance -ClassName Win32_Process | ForEach-Object")
    expect(script).not.toContain("CommandLine")
    expect(lookScript({ filter: "ProcessId = 6208", commandLines: false })).toContain("-Filter 'ProcessId = 6208' |")
  })

  it.each([
    { argv: killTreeArgv(6208), expected: ["/PID", "6208", "/T", "/F"] },
    { argv: killArgv([6704]), expected: ["/PID", "6704", "/F"] },
    { argv: killArgv([6704, 6712]), expected: ["/PID", "6704", "/PID", "6712", "/F"] }
  ])("taskkill $expected", ({ argv, expected }) => {
    expect(argv).toEqual(expected)
  })
})
