import * as fs from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { Journal } from "../../src/journal/Journal.js"
import { supervisedHome } from "../support/daemon.js"
import { runnableConfig, tempHome, writeConfig, writeModel } from "../support/home.js"
import { journalIn, on, probe, rawDb, spawned, withJournal } from "../support/journal.js"
import { freePort } from "../support/net.js"
import { type Run, hasStackTrace, orch } from "../support/orch.js"
import { tree } from "../support/tree.js"

/** A refusal as a user mistake deserves: exit 1, the message, no stack trace, nothing written. */
const expectRefused = (run: Run, message: string, what: string, before: Record<string, string>, home: string) => {
  expect(run.code, `${what}\n${run.stdout}${run.stderr}`).toBe(1)
  expect(run.stderr, what).toContain(message)
  expect(hasStackTrace(run), `${what}\n${run.stderr}`).toBe(false)
  expect(tree(home), what).toEqual(before)
  expect(fs.existsSync(path.join(home, "journal")), what).toBe(false)
}

const BAD_NAMES = ["../../other-home/instances/x", "a b", "UPPER", ".hidden", ""]

/** Every command that takes an instance name, with that name put where it goes. */
const NAMED: ReadonlyArray<(name: string) => ReadonlyArray<string>> = [
  (name) => ["up", name, "--no-wait"],
  (name) => ["down", name, "--no-wait"],
  (name) => ["restart", name, "--no-wait"],
  (name) => ["describe", name],
  (name) => ["logs", name],
  (name) => ["health", name],
  (name) => ["events", "--instance", name]
]

describe("instance names on the command line", () => {
  it("up refuses a name that reaches into another home: nothing recorded, no daemon, no logs there", async () => {
    const home = supervisedHome()
    writeModel(home)
    const other = path.join(home, "other-home")
    writeConfig(other, "x", runnableConfig(await freePort()))
    const before = tree(home)
    const run = orch(["up", "../other-home/instances/x", "--no-wait", "--home", home])
    expectRefused(run, '"../other-home/instances/x" is not a valid instance name: use lowercase letters, digits', "up ../other-home/instances/x", before, home)
  })

  // What `orch init` says of each bad name, asked once: the other commands must say the same.
  const initSays = new Map<string, string>()
  const initMessage = (name: string, home: string) => {
    if (!initSays.has(name)) {
      const init = orch(["init", name, "--model", "m.gguf", "--home", home])
      expect(init.code).toBe(1)
      initSays.set(name, init.stderr)
    }
    return initSays.get(name)!
  }

  it.each(NAMED.map((args) => [args("NAME").join(" "), args] as const))("%s checks the name as init does, before it touches the home", (_, args) => {
    const home = supervisedHome()
    const before = tree(home)
    for (const name of BAD_NAMES) {
      const run = orch([...args(name), "--home", home])
      expectRefused(run, `"${name}" is not a valid instance name`, args(name).join(" "), before, home)
      expect(run.stderr, args(name).join(" ")).toBe(initMessage(name, home))
    }
  })

  it("lets a valid name through to the command", () => {
    const home = tempHome()
    for (const args of [["describe", "ok-name_2"], ["logs", "ok-name_2"]]) {
      const run = orch([...args, "--home", home])
      expect(run.code).toBe(1)
      expect(run.stderr).toContain('no instance "ok-name_2"')
    }
  })
})

describe("orch init --port", () => {
  it("refuses a port outside 1-65535 and writes nothing", () => {
    const home = tempHome()
    writeModel(home)
    const before = tree(home)
    for (const port of ["-5", "0", "70000"]) {
      const run = orch(["init", "x", "--model", "model.gguf", "--port", port, "--home", home])
      expectRefused(run, `error: --port: must be a whole number from 1 to 65535, got ${port}`, `--port ${port}`, before, home)
      expect(run.stderr).toContain("hint: leave out --port")
    }
    expect(orch(["init", "x", "--model", "model.gguf", "--port", "65535", "--home", home]).code).toBe(0)
  })
})

describe("option values", () => {
  const refusals: ReadonlyArray<readonly [ReadonlyArray<string>, string]> = [
    [["logs", "x", "--tail", "-5"], "--tail: must be a whole number ≥ 0, got -5"],
    [["logs", "x", "-n", "-1"], "--tail: must be a whole number ≥ 0, got -1"],
    [["logs", "x", "--since", ""], '--since: "" is neither a duration'],
    [["events", "--limit", "-1"], "--limit: must be a whole number ≥ 0, got -1"],
    [["events", "--type", ""], '--type: names no event type (got "")'],
    [["events", "--type", " , "], '--type: names no event type (got " , ")'],
    [["events", "--since", ""], '--since: "" is neither a duration'],
    [["events", "--since", "-5"], '--since: "-5" is neither a duration'],
    [["events", "--since", "99999999999999d"], '--since: "99999999999999d" reaches further back than any clock'],
    [["health", "x", "--last", "-1"], "--last: must be a whole number ≥ 0, got -1"],
    [["up", "x", "--timeout", "-1"], "--timeout: must be a whole number ≥ 1, got -1"],
    [["down", "--all", "--timeout", "0"], "--timeout: must be a whole number ≥ 1, got 0"],
    [["restart", "x", "--timeout", "-1"], "--timeout: must be a whole number ≥ 1, got -1"],
    [["replay", "--until", ""], '--until: "" is neither a duration'],
    [["replay", "--until", "-1"], '--until: "-1" is neither a duration'],
    [["journal", "compact", "--probes-older-than", "30000d"], '--probes-older-than: "30000d" reaches back before 1970'],
    [["devices", "--binary", ""], "--binary: must not be empty"],
    [["init", "x", "--model", ""], "--model: must not be empty"],
    [["config", "validate", ""], "PATH: must not be empty"]
  ]

  it.each(refusals.map(([args, message]) => [args.map((arg) => (arg === "" || /\s/.test(arg) ? JSON.stringify(arg) : arg)).join(" "), args, message] as const))(
    "refuses %s, naming the option and what it takes",
    (_, args, message) => {
      const home = supervisedHome()
      const before = tree(home)
      const run = orch([...args, "--home", home])
      expectRefused(run, `error: ${message}`, args.join(" "), before, home)
      expect(run.stderr).toMatch(/\nhint: \S/)
    }
  )

  it("refuses an empty --home instead of reading it as the current directory", () => {
    const cwd = tempHome()
    const before = tree(cwd)
    for (const args of [["events"], ["up", "--all"], ["init", "x", "--model", "m.gguf"]]) {
      const run = orch([...args, "--home", ""], { cwd })
      expectRefused(run, "error: --home: must not be empty", args.join(" "), before, cwd)
    }
  })
})

describe("a journal row whose time no clock can show", () => {
  const brokenHome = async () => {
    const home = tempHome()
    const file = journalIn(home)
    await withJournal(file, Effect.flatMap(Journal, (journal) => journal.append([on("qwen", { _tag: "StartRequested", by: "cli" }), on("qwen", spawned(4242)), on("qwen", probe("ok", 3))])))
    // Events are never updated (a trigger refuses it): a new row, a copy of #1 with a time of 1e300.
    const db = rawDb(file)
    db.prepare("INSERT INTO events (at, instance, type, v, data) SELECT ?, instance, type, v, data FROM events WHERE seq = 1").run(1e300)
    db.close()
    return home
  }

  it("prints as (invalid time ...) in text, beside the sound rows", async () => {
    const home = await brokenHome()
    for (const args of [["events"], ["events", "--limit", "1"]]) {
      const run = orch([...args, "--home", home])
      expect(run.code, run.stderr).toBe(0)
      expect(hasStackTrace(run)).toBe(false)
      expect(run.stdout).not.toContain("NaN")
      expect(run.stdout).toMatch(/^\(invalid time 1e\+300\) +#4 qwen +StartRequested +by cli$/m)
    }
    expect(orch(["events", "--home", home]).stdout).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} +#1 qwen +StartRequested/m)
  })

  it("has time null in --json, and the rest of the line as it was", async () => {
    const home = await brokenHome()
    const run = orch(["events", "--json", "--home", home])
    expect(run.code, run.stderr).toBe(0)
    expect(hasStackTrace(run)).toBe(false)
    const lines = run.stdout.trim().split("\n").map((line) => JSON.parse(line))
    expect(lines).toHaveLength(4)
    expect(lines[3]).toEqual({ seq: 4, at: 1e300, time: null, instance: "qwen", type: "StartRequested", data: { by: "cli" } })
    expect(lines[0].time).toMatch(/^\d{4}-\d\d-\d\dT/)
  })
})
