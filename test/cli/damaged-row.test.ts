import * as fs from "node:fs"
import { describe, expect, it } from "vitest"
import { daemonPid, supervisedHome } from "../support/daemon.js"
import { journalIn, rawDb } from "../support/journal.js"
import { hasStackTrace, orch } from "../support/orch.js"

const message = (seq: number) => `event #${seq} (ProcessSpawned) cannot be read: pid: expected number, got "x"`

/** A real journal whose fourth row has a field of the wrong type, as a disk or a hand could leave it. */
const damagedHome = () => {
  const home = supervisedHome()
  expect(orch(["daemon", "start", "--home", home]).code).toBe(0)
  expect(orch(["daemon", "stop", "--home", home]).code).toBe(0)
  const db = rawDb(journalIn(home))
  const insert = db.prepare("INSERT INTO events (at, instance, type, v, data) VALUES (?, ?, ?, ?, ?)")
  const seq = Number(insert.run(Date.now(), "chat", "ProcessSpawned", 1, JSON.stringify({ pid: "x", start_time: "1", argv: [], stdout: "o", stderr: "e" })).lastInsertRowid)
  const rows = db.prepare("SELECT count(*) FROM events").pluck().get()
  db.close()
  return { home, rows, seq }
}

describe("a damaged event row", () => {
  it("gets one clear message naming its seq from every command that reads it, never a dump or a stack trace", () => {
    const { home, seq } = damagedHome()
    const before = fs.readFileSync(journalIn(home))
    const commands = [
      ["events"], ["events", "--json"], ["describe", "chat"], ["journal", "check"], ["journal", "check", "--json"],
      // These fold the journal fast, trusting rows' shapes; a damaged one must stop them all the same.
      ["ps"], ["ps", "--json"], ["replay"], ["replay", "--json"], ["replay", "--verify"], ["health", "chat"], ["health", "--all"], ["journal", "compact"]
    ]
    for (const args of commands) {
      const run = orch([...args, "--home", home])
      expect(run.code, args.join(" ")).toBe(1)
      const said = args.includes("--json") && args[0] === "journal" ? JSON.parse(run.stdout).checks.map((check: { detail: string }) => check.detail).join("\n") : run.stdout + run.stderr
      expect(said).toContain(message(seq))
      expect((run.stdout + run.stderr).length).toBeLessThan(600)
      expect(run.stdout + run.stderr).not.toMatch(/readonly|Encoded side|From side|└─/)
      expect(hasStackTrace(run)).toBe(false)
    }
    // Above all, no snapshot folded over the damaged row (compact writes one, so does a long fold).
    expect(fs.readFileSync(journalIn(home)).equals(before)).toBe(true)
  })

  it("stops the daemon before it records anything, with the same message, and `daemon start` says so at once", () => {
    const { home, rows, seq } = damagedHome()
    const started = Date.now()
    const run = orch(["daemon", "start", "--home", home])
    expect(run.code).toBe(1)
    expect(run.stdout + run.stderr).toContain(`the daemon did not start: ${message(seq)}`)
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(hasStackTrace(run)).toBe(false)
    expect(daemonPid(home)).toBeUndefined()
    const db = rawDb(journalIn(home))
    expect(db.prepare("SELECT count(*) FROM events").pluck().get()).toBe(rows)
    db.close()
  })
})
