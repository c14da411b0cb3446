import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { Effect, Either, Stream } from "effect"
import { describe, expect, it } from "vitest"
import { Journal } from "../../src/journal/Journal.js"
import { platform } from "../../src/runtime/platform/current.js"
import { addSim, daemonPid, servers, simHome, types } from "../support/daemon.js"
import { tempHome } from "../support/home.js"
import { journalIn, on, probe, withJournal } from "../support/journal.js"
import { freePort } from "../support/net.js"
import { orch } from "../support/orch.js"
import { request, waitFor } from "../support/sim.js"

const { isAlive, startTimeOf } = platform

/** What an operator tidying up does: the journal's WAL and its index, gone while in use. */
const removeWal = (home: string) => {
  const dir = path.join(home, "journal")
  expect(fs.readdirSync(dir)).toEqual(expect.arrayContaining(["orch.db", "orch.db-wal", "orch.db-shm"]))
  for (const name of ["orch.db-wal", "orch.db-shm"]) fs.rmSync(path.join(dir, name))
}

const daemonLog = (home: string) => fs.readFileSync(path.join(home, "journal", "daemon.log"), "utf8")

/** The daemon of a home, by pid and start time: its pid file goes with it. */
const theDaemon = (home: string) => {
  const pid = daemonPid(home)!
  return { pid, startTime: startTimeOf(pid)! }
}

const ended = (daemon: { readonly pid: number; readonly startTime: string }) =>
  waitFor(async () => (isAlive(daemon.pid, daemon.startTime) ? undefined : true), 10_000)

const REPLACED = /error: the daemon stopped: its journal .*orch\.db changed on disk while in use \(its WAL \(orch\.db-wal\) was (deleted|replaced by another file)\)\. It recorded nothing more and left its servers running/

/** Another process's connection to the journal at `file`, running `script` (its `db`). */
const elsewhere = (file: string, script: string) =>
  execFileSync(process.execPath, ["-e", `const db = new (require("better-sqlite3"))(${JSON.stringify(file)}, { timeout: 5000 }); ${script}; db.close()`], {
    cwd: process.cwd(),
    timeout: 10_000
  })

/** A home whose daemon runs instance x on the simulator, healthy. */
const runningX = async () => {
  const home = simHome()
  const port = await freePort()
  addSim(home, "x", port)
  expect(orch(["up", "x", "--home", home]).code).toBe(0)
  const [server] = servers(home)
  return { home, port, server, daemon: theDaemon(home) }
}

describe("the journal's WAL deleted under a running daemon", () => {
  it("a connection whose WAL was deleted reads and writes no more, and leaves the new journal as it is", async () => {
    const home = tempHome()
    const file = journalIn(home)
    const outcome = await withJournal(file, Effect.gen(function* () {
      const journal = yield* Journal
      yield* journal.append([on("x", probe())])
      // As the daemon does every thousand pages: what the WAL held is in orch.db.
      elsewhere(file, `db.pragma("wal_checkpoint(TRUNCATE)")`)
      removeWal(home)
      // Another process writes the journal on disk now: into a new WAL, which this connection must not touch.
      elsewhere(file, `db.prepare("INSERT INTO events (at, instance, type, v, data) VALUES (?, 'x', 'StopRequested', 1, ?)").run(Date.now(), JSON.stringify({ by: "cli" }))`)
      const refusal = <A, E>(attempt: Effect.Effect<A, E>) => Effect.map(Effect.either(attempt), Either.match({ onLeft: (error) => error, onRight: () => "not refused" }))
      return [yield* refusal(journal.append([on("x", probe())])), yield* refusal(Stream.runCollect(journal.read()))]
    }))
    for (const refusal of outcome) {
      expect(refusal).toMatchObject({ _tag: "JournalReplaced", file, what: expect.stringMatching(/^its WAL \(orch\.db-wal\) was (deleted|replaced by another file)$/) })
    }
    // Closed as usual, the old connection would have checkpointed its unlinked WAL into orch.db and
    // deleted the new WAL, and with it the row written since.
    const events = orch(["events", "--home", home, "--json"]).stdout.trim().split("\n").map((line) => JSON.parse(line) as { type: string })
    expect(events.map((event) => event.type)).toEqual(["HealthProbed", "StopRequested"])
    expect(orch(["journal", "check", "--home", home]).code).toBe(0)
  })

  it("down waits for the process, not the journal's word; the daemon ends, leaving its server to the next one, which stops it", async () => {
    const { home, port, server, daemon } = await runningX()

    // A frozen daemon cannot notice yet: all `down` can go by is the new journal, which knows no server.
    process.kill(daemon.pid, "SIGSTOP")
    try {
      removeWal(home)
      const down = orch(["down", "x", "--home", home, "--timeout", "2"])
      expect(down.stdout).not.toMatch(/✓ x: stopped/)
      expect(down.stdout).toContain(`✗ x: the journal says stopped, but pid ${server!.pid} still runs`)
      expect(down.stdout).toContain("hint: the journal and the processes disagree")
      expect(down.code).toBe(1)
    } finally {
      process.kill(daemon.pid, "SIGCONT")
    }

    // Running again, it finds its journal replaced, records nothing more and ends; its server runs on.
    await ended(daemon)
    expect(daemonLog(home)).toMatch(REPLACED)
    expect(servers(home)).toEqual([server])
    expect((await request(port, "/health")).status).toBe(200)

    const ps = orch(["ps", "--home", home])
    expect(ps.stdout).toMatch(new RegExp(`│ x +│ ${server!.pid} +│ ${port} +│.*│ running \\(journal: stopped\\) +│`))
    expect(ps.stderr).toContain("note: what runs is not what the journal says for x")
    expect(JSON.parse(orch(["ps", "--home", home, "--json"]).stdout)).toEqual([
      expect.objectContaining({ name: "x", pid: null, status: "stopped", actual_pids: [server!.pid] })
    ])

    // The next daemon stops it, since the journal on disk asks for that; and `down` sees it gone.
    const again = orch(["down", "x", "--home", home])
    expect(again.stdout).toContain("✓ x: stopped")
    expect(again.code).toBe(0)
    expect(servers(home)).toEqual([])
    await expect(request(port, "/health")).rejects.toThrow()
    // Neither request was lost: the old daemon, ending, did not fold its old WAL into the journal.
    expect(types(home, "x").map((event) => [event.type, event.data["pid"]])).toEqual([
      ["StopRequested", undefined],
      ["StopRequested", undefined],
      ["ProcessStopped", server!.pid]
    ])
    expect(orch(["journal", "check", "--home", home]).code).toBe(0)
  }, 60_000)

  it("up adopts the server the ended daemon left, once it answers healthy", async () => {
    const { home, server, daemon } = await runningX()

    removeWal(home)
    await ended(daemon)
    expect(daemonLog(home)).toMatch(REPLACED)
    expect(servers(home)).toEqual([server])
    expect(JSON.parse(orch(["ps", "--home", home, "--json"]).stdout)).toEqual([
      expect.objectContaining({ name: "x", pid: null, status: "new", actual_pids: [server!.pid] })
    ])

    const up = orch(["up", "x", "--home", home])
    expect(up.stdout).toContain(`✓ x: healthy (pid ${server!.pid}`)
    expect(up.code).toBe(0)
    expect(servers(home)).toEqual([server])
    expect(JSON.parse(orch(["ps", "--home", home, "--json"]).stdout)).toEqual([
      expect.objectContaining({ name: "x", pid: server!.pid, status: "running", health: "healthy", actual_pids: null })
    ])
    expect(types(home, "x").map((event) => event.type).filter((type) => type !== "HealthProbed")).toEqual(["ConfigApplied", "StartRequested", "ProcessAdopted"])
  }, 60_000)
})
