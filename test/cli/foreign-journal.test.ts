import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import Database from "better-sqlite3"
import { Effect } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { EXIT_CANNOT_START } from "../../src/domain/service.js"
import { Journal } from "../../src/journal/Journal.js"
import { daemonPid, supervisedHome } from "../support/daemon.js"
import { runnableConfig, writeConfig, writeModel } from "../support/home.js"
import { journalIn, on, probe, withJournal } from "../support/journal.js"
import { freePort } from "../support/net.js"
import { ORCH, type Run, hasStackTrace, orch } from "../support/orch.js"
import { tree } from "../support/tree.js"

/**
 * Every file under the home with its hash and its mode: a command that chmods the journal
 * (orch tightens modes it finds too open) changes it as surely as one that writes it.
 */
const snapshot = (home: string) =>
  Object.fromEntries(Object.entries(tree(home)).map(([entry, hash]) => [entry, `${hash} ${(fs.lstatSync(path.join(home, entry)).mode & 0o7777).toString(8)}`]))

/** Processes whose command line names this home: a daemon spawned for it, whether or not it wrote its pid file. */
const processesOf = (home: string) =>
  fs.readdirSync("/proc").filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid).flatMap((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").includes(home) ? [Number(pid)] : []
    } catch {
      return []
    }
  })

const homes: Array<string> = []
const immutable: Array<string> = []

// Before the temp homes are removed (after hooks run last-registered first): an immutable file
// cannot be deleted, not even by root, and a stray daemon is killed by its pid, not its name.
afterEach(() => {
  for (const target of immutable.splice(0)) spawnSync("chattr", ["-i", target])
  for (const home of homes.splice(0)) {
    for (const pid of processesOf(home)) process.kill(pid, "SIGKILL")
    const journalDir = path.dirname(journalIn(home))
    if (fs.existsSync(journalDir)) fs.chmodSync(journalDir, 0o700)
  }
})

/** A home that works but for its journal: an instance that passes `up`'s checks, and an autostart list. */
const homeWith = async (journal: (file: string) => void | Promise<void>) => {
  const home = supervisedHome()
  homes.push(home)
  writeModel(home)
  writeConfig(home, "chat", runnableConfig(await freePort()))
  fs.writeFileSync(path.join(home, "autostart.json"), JSON.stringify(["chat"]))
  const file = journalIn(home)
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
  await journal(file)
  return home
}

/** A journal as orch makes it, whole and closed, with enough events to fill several pages. */
const realJournal = async (file: string) => {
  await withJournal(file, Effect.flatMap(Journal, (journal) => journal.append(Array.from({ length: 600 }, () => on("chat", probe())))))
  // The fixture must be a journal orch reads, or the rows that break it would prove nothing.
  expect(fs.readdirSync(path.dirname(file))).toEqual(["orch.db"])
  expect(orch(["journal", "check", "--home", path.dirname(path.dirname(file))]).code).toBe(0)
}

/** Whether this file system has the immutable flag, the one "read-only" that also binds root. */
const chattrWorks = (() => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "orch-chattr-"))
  const file = path.join(dir, "probe")
  fs.writeFileSync(file, "")
  const works = spawnSync("chattr", ["+i", file]).status === 0
  spawnSync("chattr", ["-i", file])
  fs.rmSync(dir, { recursive: true, force: true })
  return works
})()

interface Bad {
  readonly name: string
  readonly make: (file: string) => void | Promise<void>
  /** What the message must say is wrong, after the file's name. */
  readonly says: string
  /** What it must say to do. */
  readonly hint: string
}

const MOVE_ASIDE = "move it aside and orch starts a new journal there"
const MAKE_WRITABLE = "make the file and its folder writable again"

const BAD: ReadonlyArray<Bad> = [
  { name: "an empty file", make: (file) => fs.writeFileSync(file, ""), says: "is not an orch journal: it is empty (0 bytes)", hint: MOVE_ASIDE },
  {
    name: "random bytes",
    // Bytes of a fixed pattern rather than crypto's: a failure shows the same file every run.
    make: (file) => fs.writeFileSync(file, Buffer.from(Array.from({ length: 10_000 }, (_, i) => (i * 7919 + 13) % 251))),
    says: "is not an orch journal: it is not a SQLite database",
    hint: MOVE_ASIDE
  },
  {
    name: "a real journal cut short",
    make: async (file) => {
      await realJournal(file)
      fs.truncateSync(file, Math.floor(fs.statSync(file).size / 2))
    },
    says: "is not an orch journal: it is damaged (cut short",
    hint: MOVE_ASIDE
  },
  {
    name: "another application's SQLite database",
    make: (file) => {
      const db = new Database(file)
      db.exec("CREATE TABLE recipes (name TEXT); INSERT INTO recipes VALUES ('bread')")
      db.close()
    },
    says: "is not an orch journal: it is another application's SQLite database",
    hint: MOVE_ASIDE
  },
  { name: "a folder", make: (file) => fs.mkdirSync(path.join(file, "inside"), { recursive: true }), says: "is not an orch journal: it is a folder, not a file", hint: MOVE_ASIDE },
  // Root writes through permission bits; orch honours them all the same (as rm and editors do),
  // so these two rows hold for root and for everyone else alike.
  {
    name: "a real journal without write permission (0444)",
    make: async (file) => {
      await realJournal(file)
      fs.chmodSync(file, 0o444)
    },
    says: "is read-only: no one may write it (mode 0444)",
    hint: MAKE_WRITABLE
  },
  {
    name: "a real journal in a folder without write permission (0555)",
    make: async (file) => {
      await realJournal(file)
      fs.chmodSync(path.dirname(file), 0o555)
    },
    says: "is read-only: its folder",
    hint: MAKE_WRITABLE
  },
  // What stops root too, where the file system has it (ext4, xfs, btrfs; not tmpfs or overlayfs).
  ...(chattrWorks
    ? [
        {
          name: "a real journal made immutable (chattr +i)",
          make: async (file: string) => {
            await realJournal(file)
            immutable.push(file)
            expect(spawnSync("chattr", ["+i", file]).status).toBe(0)
          },
          says: "is read-only: it is immutable (chattr +i)",
          hint: MAKE_WRITABLE
        }
      ]
    : [])
]

/**
 * `orch dashboard` refuses anything but a terminal before it opens the journal: it gets one, a
 * pseudo-terminal of script(1)'s, which passes its exit code on (-e).
 */
const inTerminal = (args: ReadonlyArray<string>): Run => {
  const command = [process.execPath, ORCH, ...args].map((word) => `'${word.replaceAll("'", "'\\''")}'`).join(" ")
  const run = spawnSync("script", ["-qec", command, "/dev/null"], { encoding: "utf8", timeout: 10_000, env: { ...process.env, NO_COLOR: "1" } })
  const text = (run.stdout ?? "").replace(/\u001b\[[0-9;?]*[a-zA-Z]/g, "").replace(/\r/g, "")
  return { code: run.status, stdout: text, stderr: `${run.stderr ?? ""}${run.error === undefined ? "" : `script(1): ${run.error.message}`}` }
}

/** Every command that opens the journal, each as it would find it: `logs` of an instance without a config looks the name up there. */
const COMMANDS: ReadonlyArray<ReadonlyArray<string>> = [
  ["ps"],
  ["ps", "--json"],
  ["events"],
  ["events", "--json"],
  ["events", "--follow"],
  ["describe", "chat"],
  ["replay"],
  ["replay", "--verify"],
  ["health", "chat"],
  ["logs", "gone"],
  ["journal", "check"],
  ["journal", "compact"],
  ["up", "chat", "--no-wait"],
  ["down", "chat", "--no-wait"],
  ["restart", "chat", "--no-wait"],
  ["daemon", "start"],
  ["daemon", "run"],
  ["daemon", "status"],
  ["daemon", "autostart"],
  ["devices"],
  ["doctor"],
  ["dashboard"]
]

const run = (args: ReadonlyArray<string>, home: string) =>
  args[0] === "dashboard" ? inTerminal([...args, "--home", home]) : orch([...args, "--home", home], { timeoutMs: 10_000 })

describe("a journal file that is not ours, or may not be written", () => {
  it.each(BAD.map((bad) => [bad.name, bad] as const))("%s: every command says so once, and leaves the home as it was", async (_, bad) => {
    const home = await homeWith(bad.make)
    const file = journalIn(home)
    const before = snapshot(home)
    for (const args of COMMANDS) {
      // Each run blocks this worker; between them it answers vitest, which gives up after a while.
      await new Promise((resolve) => setImmediate(resolve))
      const what = `orch ${args.join(" ")} (${bad.name})`
      const result = run(args, home)
      const text = result.stdout + result.stderr
      // `daemon run` tells a service manager not to try again: only a fix mends this.
      const code = args[0] === "daemon" && args[1] === "run" ? EXIT_CANNOT_START : 1
      expect.soft(result.code, `${what}\n${result.stdout}${result.stderr}`).toBe(code)
      expect.soft(text, what).toContain(`${file} ${bad.says}`)
      expect.soft(text, what).toContain("It was left as it is.")
      expect.soft(text, what).toContain(bad.hint)
      // One message, not the fast `ps` path's and then the full CLI's, nor a daemon's echoed back.
      expect.soft(text.split(bad.says).length - 1, what).toBe(1)
      expect.soft(hasStackTrace(result), `${what}\n${result.stderr}`).toBe(false)
      expect.soft(text, what).not.toMatch(/Schema|Effect|_tag|NotAJournal|ReadOnlyJournal|FiberFailure|└─ |\{ "_id"/)
      expect.soft(snapshot(home), what).toEqual(before)
      expect.soft(daemonPid(home), what).toBeUndefined()
      expect.soft(processesOf(home), what).toEqual([])
    }
  }, 120_000)

  it("init, which only looks there for the GPUs `orch devices` recorded, writes its config and leaves the journal be", async () => {
    for (const bad of BAD) {
      const home = await homeWith(bad.make)
      const before = snapshot(home)
      const result = orch(["init", "x", "--profile", "vulkan", "--model", "model.gguf", "--home", home])
      expect(result.code, `${bad.name}\n${result.stdout}${result.stderr}`).toBe(0)
      expect(hasStackTrace(result)).toBe(false)
      const after = snapshot(home)
      expect(Object.keys(after).filter((entry) => !(entry in before)).sort(), bad.name).toEqual([path.join("instances", "x"), path.join("instances", "x", "config.json")])
      expect(Object.fromEntries(Object.entries(after).filter(([entry]) => entry in before)), bad.name).toEqual(before)
    }
  }, 120_000)
})
