import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { supervisedHome, types } from "../support/daemon.js"
import { runnableConfig, tempHome, writeConfig, writeModel } from "../support/home.js"
import { freePorts } from "../support/net.js"
import { type Run, hasStackTrace, orch } from "../support/orch.js"

const LONG = "a".repeat(200)
/** Folders under instances/ whose names no instance may have. */
const MISNAMED = ["UPPER", "a b", ".hidden", LONG] as const

/** A time long past: a read of a file moves its access time to now. */
const LONG_AGO = new Date("2001-01-01T00:00:00Z")

/** Files that no command may read, with their access times put in the past. */
const untouchable: Array<string> = []
const plant = (file: string, content: string | "fifo" | "huge") => {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  if (content === "fifo") execFileSync("mkfifo", [file])
  else if (content === "huge") {
    // Sparse: 256 MiB of nothing on disk, which a read would still have to go through.
    fs.writeFileSync(file, "{")
    fs.truncateSync(file, 256 * 1024 * 1024)
  } else fs.writeFileSync(file, content)
  if (content !== "fifo") {
    fs.utimesSync(file, LONG_AGO, new Date())
    untouchable.push(file)
  }
}

/**
 * A home with two real instances (one reached through a symlink that stays inside the home) and
 * every kind of folder that cannot be one: misnamed, a symlink out of the home, a config.json
 * that is a symlink out of the home, a dangling symlink. Each holds a config that would pass,
 * a FIFO (a blocking open hangs) or a huge file (a read takes long), so being read shows.
 */
const hostileHome = async () => {
  untouchable.length = 0
  const home = supervisedHome()
  const outside = fs.realpathSync(tempHome())
  writeModel(home)
  const [good, inside, ...others] = await freePorts(2 + MISNAMED.length + 3)
  writeConfig(home, "good", runnableConfig(good!))
  fs.mkdirSync(path.join(home, "shared", "inside"), { recursive: true })
  fs.writeFileSync(path.join(home, "shared", "inside", "config.json"), JSON.stringify(runnableConfig(inside!)))
  fs.symlinkSync(path.join(home, "shared", "inside"), path.join(home, "instances", "inside-link"))
  const config = (port: number) => JSON.stringify(runnableConfig(port, { model: { path: path.join(home, "model.gguf") } }))
  plant(path.join(home, "instances", "UPPER", "config.json"), "fifo")
  plant(path.join(home, "instances", "a b", "config.json"), "huge")
  plant(path.join(home, "instances", ".hidden", "config.json"), config(others[0]!))
  plant(path.join(home, "instances", LONG, "config.json"), config(others[1]!))
  plant(path.join(outside, "escape", "config.json"), config(others[2]!))
  fs.symlinkSync(path.join(outside, "escape"), path.join(home, "instances", "escape"))
  plant(path.join(outside, "fifo-escape", "config.json"), "fifo")
  fs.symlinkSync(path.join(outside, "fifo-escape"), path.join(home, "instances", "fifo-escape"))
  plant(path.join(outside, "linked.json"), config(others[3]!))
  fs.mkdirSync(path.join(home, "instances", "linkcfg"))
  fs.symlinkSync(path.join(outside, "linked.json"), path.join(home, "instances", "linkcfg", "config.json"))
  fs.symlinkSync(path.join(outside, "gone"), path.join(home, "instances", "dangling"))
  return { home, outside }
}

/** The problem, the hint and the folder (file) of every finding `orch config lint --json` gives. */
interface Finding {
  readonly file: string
  readonly instance: string | null
  readonly field: string
  readonly problem: string
  readonly hint: string
}

const clean = (run: Run, what: string) => {
  expect(run.code, `${what}: it must end (a FIFO opened blocking would hang it)\n${run.stderr}`).not.toBeNull()
  expect(hasStackTrace(run), `${what}\n${run.stderr}`).toBe(false)
}

describe("instance folders that cannot be instances", () => {
  it("are each one finding of `orch config lint`, saying which folder, why and how to fix it", async () => {
    const { home, outside } = await hostileHome()
    const json = orch(["config", "lint", "--json", "--home", home])
    clean(json, "config lint --json")
    expect(json.code).toBe(1)
    const linted = JSON.parse(json.stdout) as { instances: Array<string>; findings: Array<Finding> }
    expect(linted.instances).toEqual(["good", "inside-link"])
    const folder = (name: string) => path.join(home, "instances", name)
    const of = (file: string) => linted.findings.filter((finding) => finding.file === file)
    expect(linted.findings).toHaveLength(MISNAMED.length + 4)

    const renames: ReadonlyArray<readonly [string, string]> = [["UPPER", "upper"], ["a b", "a-b"], [".hidden", "hidden"], [LONG, "a".repeat(64)]]
    for (const [name, suggested] of renames) {
      const [finding, ...more] = of(folder(name))
      expect(more, name).toEqual([])
      expect(finding!.problem, name).toContain(`${JSON.stringify(name)} is`)
      expect(finding!.hint, name).toContain(`rename the folder, for example to "${suggested}"`)
      expect(finding!.hint, name).toContain("the folder name is the instance name")
    }
    for (const name of ["escape", "fifo-escape"]) {
      const [finding, ...more] = of(folder(name))
      expect(more, name).toEqual([])
      expect(finding!.problem, name).toBe(`it is a symlink to ${path.join(outside, name)}, outside the home; orch never follows a symlink out of the home`)
      expect(finding!.hint, name).toBe("replace the symlink with a real folder (a copy of that one), or move that folder into the home and link to it there")
    }
    const [linked, ...moreLinked] = of(path.join(folder("linkcfg"), "config.json"))
    expect(moreLinked).toEqual([])
    expect(linked!.problem).toBe(`config.json is a symlink to ${path.join(outside, "linked.json")}, outside the home; orch never follows a symlink out of the home`)
    expect(linked!.hint).toBe("replace the symlink with a copy of that file, or move the file into the home and link to it there")
    const [dangling, ...moreDangling] = of(folder("dangling"))
    expect(moreDangling).toEqual([])
    expect(dangling!.problem).toBe(`it is a symlink to ${path.join(outside, "gone")}, which does not exist`)
    expect(dangling!.hint).toBe("remove the symlink, or make it point at an instance folder")

    const text = orch(["config", "lint", "--home", home])
    clean(text, "config lint")
    expect(text.code).toBe(1)
    for (const finding of linted.findings) {
      expect(text.stdout.split(finding.problem).length - 1, finding.problem).toBe(1)
      expect(text.stdout).toContain(finding.hint)
    }
  })

  it("are ignored by every other command: never listed, started or read", async () => {
    const { home } = await hostileHome()
    fs.writeFileSync(path.join(home, "autostart.json"), JSON.stringify(["good", "escape", "linkcfg"]))
    const named = ["UPPER", "a b", ".hidden", LONG, "escape", "fifo-escape", "linkcfg", "dangling"]
    const runs: Array<readonly [string, Run]> = []
    const run = (...args: Array<string>) => {
      const done = orch([...args, "--home", home])
      runs.push([args.join(" "), done])
      clean(done, args.join(" "))
      return done
    }

    const ps = JSON.parse(run("ps", "--json").stdout) as Array<{ name: string }>
    expect(ps.map((row) => row.name)).toEqual(["good", "inside-link"])
    const table = run("ps").stdout
    for (const name of named) expect(table, name).not.toContain(name === "a b" ? "a b" : `│ ${name} `)

    // A named instance whose folder or config leads out of the home is not read either.
    for (const name of ["escape", "linkcfg"]) {
      const up = run("up", name, "--no-wait")
      expect(up.code, name).toBe(1)
      expect(up.stdout, name).toContain("a symlink to")
      expect(run("describe", name).code, name).toBe(1)
    }
    const autostart = run("daemon", "autostart")
    expect(autostart.code).toBe(1)
    expect(autostart.stdout).toContain('there is no instance "escape" in this home')
    expect(autostart.stdout).toContain('there is no instance "linkcfg" in this home')
    expect(fs.existsSync(path.join(home, "journal"))).toBe(false)

    const doctor = JSON.parse(run("doctor", "--json").stdout) as Array<{ check: string; status: string; detail: string; fix: string }>
    const perInstance = new Set(doctor.flatMap((check) => (check.check.includes(": ") ? [check.check.split(": ")[0]] : [])))
    expect([...perInstance].sort()).toEqual(["good", "inside-link"])
    expect(doctor.find((check) => check.check === "instance folders")).toEqual({
      check: "instance folders",
      status: "warn",
      detail: `${named.length} folders under instances/ are not instances and are ignored`,
      fix: "`orch config lint` says why, and how to fix each"
    })

    expect(run("up", "--all", "--no-wait").code).toBe(0)
    const requested = types(home).filter((event) => event.type === "StartRequested").map((event) => event.instance)
    expect(requested.sort()).toEqual(["good", "inside-link"])
    run("health", "--all")
    run("events")
    expect(run("init", "new", "--model", "model.gguf").code).toBe(0)

    // None of the files planted in them was read: their access times are still in the past.
    for (const file of untouchable) expect(fs.statSync(file).atimeMs, file).toBe(LONG_AGO.getTime())
    // ...and that is not because this file system never records a read.
    const probe = untouchable[0]!
    const fd = fs.openSync(probe, "r")
    fs.readSync(fd, Buffer.alloc(1))
    fs.closeSync(fd)
    expect(fs.statSync(probe).atimeMs, "this file system records reads").toBeGreaterThan(LONG_AGO.getTime())
  }, 60_000)

  it("lists a home whose instances folder leads out of it as one finding, and nothing else", () => {
    const home = tempHome()
    const outside = fs.realpathSync(tempHome())
    writeConfig(outside, "chat", runnableConfig(8080))
    fs.symlinkSync(path.join(outside, "instances"), path.join(home, "instances"))
    const linted = JSON.parse(orch(["config", "lint", "--json", "--home", home]).stdout) as { instances: Array<string>; findings: Array<Finding> }
    expect(linted.instances).toEqual([])
    expect(linted.findings).toEqual([
      {
        file: path.join(home, "instances"),
        instance: null,
        field: "",
        problem: `it is a symlink to ${path.join(outside, "instances")}, outside the home; orch never follows a symlink out of the home`,
        hint: "replace the symlink with a real folder (a copy of that one), or move that folder into the home and link to it there"
      }
    ])
    expect(JSON.parse(orch(["ps", "--json", "--home", home]).stdout)).toEqual([])
  })
})
