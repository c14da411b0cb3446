import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { beforeEach, describe, expect, it } from "vitest"
import { EXIT_CANNOT_START } from "../../src/domain/service.js"
import { daemonPid, supervisedHome } from "../support/daemon.js"
import { tempHome, unwritableDir } from "../support/home.js"
import { ORCH_CLI, type Run, hasStackTrace, orch } from "../support/orch.js"
import { tree } from "../support/tree.js"

/** Every command, each with what it needs besides --home. */
const EVERY_COMMAND: ReadonlyArray<ReadonlyArray<string>> = [
  ["up", "--all", "--no-wait"],
  ["down", "--all", "--no-wait"],
  ["restart", "--all", "--no-wait"],
  ["ps"],
  ["ps", "--json"],
  ["logs", "x"],
  ["describe", "x"],
  ["dashboard"],
  ["health", "--all"],
  ["init", "x", "--model", "m.gguf"],
  ["config", "validate", "c.json"],
  ["config", "lint"],
  ["events"],
  ["replay"],
  ["journal", "check"],
  ["journal", "compact"],
  ["daemon", "run"],
  ["daemon", "start"],
  ["daemon", "stop"],
  ["daemon", "status"],
  ["daemon", "autostart"],
  ["install-service", "--print"],
  ["devices"],
  ["doctor"]
]

// These tests run `orch` synchronously, and awaiting a synchronous test never turns the event loop:
// without a turn between them, the worker answers none of vitest's calls for minutes, and they time out.
beforeEach(() => new Promise<void>((resolve) => setImmediate(resolve)))

const isDaemonRun = (args: ReadonlyArray<string>) => args[0] === "daemon" && args[1] === "run"

/** A refusal as a user mistake deserves: the exit status, the message and its hint, no stack trace. */
const expectRefused = (run: Run, what: string, code: number, message: string, hint: string) => {
  expect(run.code, `${what}\n${run.stdout}${run.stderr}`).toBe(code)
  expect(run.stderr, what).toContain(`error: ${message}\nhint: ${hint}`)
  expect(hasStackTrace(run), `${what}\n${run.stderr}`).toBe(false)
}

describe("a home that is not a folder", () => {
  it.each(EVERY_COMMAND.map((args) => [args.join(" "), args] as const))("%s refuses it, naming the file, and writes nothing", (_, args) => {
    const dir = tempHome()
    const file = path.join(dir, "home.txt")
    fs.writeFileSync(file, "not a home")
    const before = tree(dir)
    const code = isDaemonRun(args) ? EXIT_CANNOT_START : 1
    const hint = "point it at a folder (orch makes one where nothing is), or move that file away"
    expectRefused(orch([...args, "--home", file], { cwd: dir }), args.join(" "), code, `--home: ${file} is a file, not a folder`, hint)
    expectRefused(orch([...args, "--home", path.join(file, "sub")], { cwd: dir }), args.join(" "), code, `--home: ${path.join(file, "sub")} cannot be a folder: ${file} is a file`, hint)
    expectRefused(orch(args, { cwd: dir, env: { LLAMA_ORCH_HOME: file } }), args.join(" "), code, `LLAMA_ORCH_HOME: ${file} is a file, not a folder`, hint)
    expect(tree(dir), args.join(" ")).toEqual(before)
  })

  it("is refused in other kinds too: a FIFO is never opened", () => {
    const dir = tempHome()
    const fifo = path.join(dir, "fifo")
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0)
    for (const args of [["ps"], ["doctor"], ["daemon", "start"]]) {
      expectRefused(orch([...args, "--home", fifo]), args.join(" "), 1, `--home: ${fifo} is a FIFO, not a folder`, "point it at a folder (orch makes one where nothing is), or move that file away")
    }
  })
})

describe("LLAMA_ORCH_HOME set but empty", () => {
  it.each([["ps"], ["ps", "--json"], ["config", "lint"], ["events"], ["init", "x", "--model", "m.gguf"], ["up", "--all"], ["daemon", "run"]].map((args) => [args.join(" "), args] as const))(
    "%s refuses it as an empty --home is, rather than read it as the current directory",
    (_, args) => {
      // Supervised: were it read as the current directory, `up` would start a daemon there.
      const cwd = supervisedHome()
      const before = tree(cwd)
      for (const value of ["", "  "]) {
        const run = orch(args, { cwd, env: { LLAMA_ORCH_HOME: value } })
        expectRefused(run, `${JSON.stringify(value)} ${args.join(" ")}`, isDaemonRun(args) ? EXIT_CANNOT_START : 1, "LLAMA_ORCH_HOME: is set but empty", "set it to the home folder, or unset it to use the current directory")
      }
      expect(tree(cwd)).toEqual(before)
    }
  )

  it("does not matter when --home is given", () => {
    const home = tempHome()
    const run = orch(["ps", "--home", home], { env: { LLAMA_ORCH_HOME: "" } })
    expect(run.code).toBe(0)
    expect(run.stdout).toContain(`No instances in ${home} yet`)
  })
})

describe("the fast path of orch ps", () => {
  // Each case names its home inside the test's folder: "FILE" a file there, "MISSING" nothing.
  const cases: ReadonlyArray<readonly [ReadonlyArray<string>, Record<string, string>]> = [
    [["--home", ""], {}],
    [["--home="], {}],
    [["--home", " "], {}],
    [["--home", "FILE"], {}],
    [["--home", "FILE/sub"], {}],
    [["--home", "MISSING"], {}],
    [[], { LLAMA_ORCH_HOME: "" }],
    [[], { LLAMA_ORCH_HOME: "FILE" }],
    [[], { LLAMA_ORCH_HOME: "MISSING" }]
  ]

  it.each(cases.map(([args, env]) => [[...args, ...Object.entries(env).map(([key, value]) => `${key}=${JSON.stringify(value)}`)].join(" "), args, env] as const))(
    "answers %s as the full CLI does",
    (_, args, env) => {
      const dir = tempHome()
      fs.writeFileSync(path.join(dir, "FILE"), "not a home")
      const place = (value: string) => value.replace(/^(FILE|MISSING)/, (word) => path.join(dir, word))
      const placed = Object.fromEntries(Object.entries(env).map(([key, value]) => [key, place(value)]))
      for (const json of [[], ["--json"]]) {
        const argv = ["ps", ...args.map(place), ...json]
        const fast = orch(argv, { cwd: dir, env: placed })
        const full = orch(argv, { cwd: dir, env: placed, entry: ORCH_CLI })
        expect(fast, argv.join(" ")).toEqual(full)
        expect(hasStackTrace(fast), argv.join(" ")).toBe(false)
      }
      expect(fs.existsSync(path.join(dir, "MISSING"))).toBe(false)
    }
  )
})

describe("a home that cannot be written", () => {
  const cases = {
    "an immutable home": () => unwritableDir(),
    "a home whose journal folder is a file": () => {
      const home = tempHome()
      fs.writeFileSync(path.join(home, "journal"), "not a folder")
      return home
    }
  }

  it.each(Object.keys(cases))("%s: daemon start says why as daemon run does, without a stack trace, and writes nothing", (name) => {
    const home = cases[name as keyof typeof cases]()
    const before = tree(home)
    const start = orch(["daemon", "start", "--home", home])
    expect(start.code, start.stderr).toBe(1)
    expect(start.stderr).toMatch(/^error: .*\/journal.*\nhint: \S/)
    expect(hasStackTrace(start), start.stderr).toBe(false)
    const run = orch(["daemon", "run", "--home", home])
    expect(run.code, run.stderr).toBe(EXIT_CANNOT_START)
    expect(run.stderr).toBe(start.stderr)
    expect(tree(home)).toEqual(before)
    expect(daemonPid(home)).toBeUndefined()
  })

  it("a daemon log that cannot be opened: daemon start says so, and no daemon is left", () => {
    const home = supervisedHome()
    fs.mkdirSync(path.join(home, "journal", "daemon.log"), { recursive: true })
    const start = orch(["daemon", "start", "--home", home])
    expect(start.code, start.stderr).toBe(1)
    expect(start.stderr).toContain(`error: cannot use the journal ${home}/journal/orch.db: cannot write the daemon's log ${home}/journal/daemon.log (EISDIR)`)
    expect(hasStackTrace(start), start.stderr).toBe(false)
    expect(daemonPid(home)).toBeUndefined()
  })

  it("doctor says an immutable home cannot be written", () => {
    const home = unwritableDir()
    const run = orch(["doctor", "--json", "--home", home])
    expect(run.code).toBe(1)
    expect(JSON.parse(run.stdout)[0]).toEqual({ check: "home", status: "fail", detail: `${home} cannot be written`, fix: "fix its permissions, or use another --home" })
  })

  it("doctor says a journal folder that is a file is one, rather than that there is no journal yet", () => {
    const home = tempHome()
    fs.writeFileSync(path.join(home, "journal"), "not a folder")
    const run = orch(["doctor", "--json", "--home", home])
    expect(run.code).toBe(1)
    const checks = JSON.parse(run.stdout) as Array<{ check: string }>
    expect(checks.find((check) => check.check === "journal")).toEqual({
      check: "journal",
      status: "fail",
      detail: `${home}/journal is a file, not a folder: no journal can be made there`,
      fix: "move that file away; orch makes the journal folder itself"
    })
  })
})

describe("a daemon that refuses to start", () => {
  it(`exits ${EXIT_CANNOT_START} on a damaged journal, so that a service manager does not restart it in a loop`, () => {
    const home = supervisedHome()
    fs.mkdirSync(path.join(home, "journal"))
    fs.writeFileSync(path.join(home, "journal", "orch.db"), "not a database at all, just some text that is long enough to be read")
    const run = orch(["daemon", "run", "--home", home])
    expect(run.code, run.stderr).toBe(EXIT_CANNOT_START)
    expect(run.stderr).toMatch(/^error: .*orch\.db is not an orch journal/)
    expect(hasStackTrace(run)).toBe(false)
  })

  it("exits 1 on a bad option as every command does, when it is not `daemon run`", () => {
    expect(orch(["daemon", "status", "--home", ""]).code).toBe(1)
    expect(orch(["daemon", "run", "--home", ""]).code).toBe(EXIT_CANNOT_START)
  })
})

describe("a home that does not exist yet", () => {
  const missingHome = () => path.join(tempHome(), "not-yet")

  it("is nothing yet to every reading command, which leaves it as it is", () => {
    const expectations: ReadonlyArray<readonly [ReadonlyArray<string>, number, RegExp]> = [
      [["ps"], 0, /^No instances in .*not-yet yet/],
      [["ps", "--json"], 0, /^\[\]$/],
      [["config", "lint"], 0, /^No instances under .*not-yet\/instances\./],
      [["events"], 0, /^No events yet/],
      [["replay"], 0, /^Nothing to replay/],
      [["daemon", "status"], 3, /^not running/],
      [["daemon", "stop"], 0, /^No daemon is running\./],
      [["down", "--all"], 0, /^No instances\./],
      [["restart", "--all"], 0, /^No instances\./],
      [["up", "--all"], 0, /^No instances under .*not-yet\/instances\./],
      [["health", "--all"], 1, /^No instances have any history yet\./]
    ]
    for (const [args, code, said] of expectations) {
      const home = missingHome()
      const run = orch([...args, "--home", home])
      const daemon = daemonPid(home)
      if (daemon !== undefined) process.kill(daemon, "SIGKILL")
      expect(daemon, `${args.join(" ")} started a daemon`).toBeUndefined()
      expect(run.code, `${args.join(" ")}\n${run.stderr}`).toBe(code)
      expect(run.stdout.trim(), args.join(" ")).toMatch(said)
      expect(fs.existsSync(home), `${args.join(" ")} made the home`).toBe(false)
    }
  })

  it("doctor: a warning that init makes it, and nothing made", () => {
    const home = missingHome()
    const run = orch(["doctor", "--json", "--home", home])
    expect(run.code, run.stdout).toBe(0)
    expect(JSON.parse(run.stdout)[0]).toEqual({ check: "home", status: "warn", detail: `${home} does not exist yet`, fix: "`orch init NAME --model PATH` makes it" })
    expect(fs.existsSync(home)).toBe(false)
  })

  it("doctor: a failure when it could not be made", () => {
    const parent = unwritableDir()
    const home = path.join(parent, "not-yet")
    const run = orch(["doctor", "--json", "--home", home])
    expect(run.code).toBe(1)
    expect(JSON.parse(run.stdout)[0]).toEqual({ check: "home", status: "fail", detail: `${home} does not exist, and ${parent} cannot be written`, fix: "fix its permissions, or use another --home" })
  })

  it("is made by init", () => {
    const home = missingHome()
    const run = orch(["init", "x", "--model", "m.gguf", "--home", home])
    expect(run.code, run.stderr).toBe(0)
    expect(fs.existsSync(path.join(home, "instances", "x", "config.json"))).toBe(true)
  })
})
