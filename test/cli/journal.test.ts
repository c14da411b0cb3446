import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { Journal } from "../../src/journal/Journal.js"
import { tempHome } from "../support/home.js"
import { journalIn, on, probe, rawDb, served, spawned, withJournal } from "../support/journal.js"
import { ORCH, hasStackTrace, orch } from "../support/orch.js"
import { waitFor } from "../support/sim.js"

/** A home whose journal holds a short, known history. */
const seededHome = async () => {
  const home = tempHome()
  await withJournal(
    journalIn(home),
    Effect.flatMap(Journal, (journal) =>
      journal.append([
        on(null, { _tag: "DaemonStarted", pid: 999, version: "0.1.0" }),
        on("qwen", { _tag: "StartRequested", by: "cli" }),
        on("qwen", spawned(4242)),
        on("qwen", probe("ok", 3)),
        on("coder", { _tag: "StartRequested", by: "cli" }),
        on("coder", { _tag: "SpawnFailed", reason: "port 8081 is in use", config_error: false }),
        on("qwen", { _tag: "ProcessExited", pid: 4242, code: null, signal: "SIGABRT", uptime_ms: 65_000 }),
        on("qwen", { _tag: "RestartScheduled", attempt: 1, delay_ms: 1_000, due_at: Date.now() + 1_000, reason: "exited" })
      ])
    )
  )
  return home
}

describe("orch events", () => {
  it("prints one line per event: time, seq, instance, type, summary", async () => {
    const home = await seededHome()
    const run = orch(["events", "--home", home])
    expect(run.code).toBe(0)
    const lines = run.stdout.trim().split("\n")
    expect(lines).toHaveLength(8)
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} +#1 \(daemon\) +DaemonStarted +pid 999, orch 0\.1\.0$/)
    expect(lines[6]).toMatch(/#7 qwen +ProcessExited +pid 4242 exited with signal SIGABRT after 65s$/)
    expect(lines[7]).toMatch(/#8 qwen +RestartScheduled +attempt 1 in 1s \(exited\)$/)
  })

  it("filters by instance, type, since and limit, and prints JSON lines", async () => {
    const home = await seededHome()
    const seqs = (args: ReadonlyArray<string>) =>
      orch(["events", "--home", home, "--json", ...args]).stdout.trim().split("\n").filter((line) => line !== "").map((line) => JSON.parse(line).seq)
    expect(seqs(["--instance", "coder"])).toEqual([5, 6])
    expect(seqs(["--type", "StartRequested,SpawnFailed"])).toEqual([2, 5, 6])
    expect(seqs(["--limit", "2"])).toEqual([7, 8])
    expect(seqs(["--since", "1h"])).toHaveLength(8)
    expect(seqs(["--since", "2001-01-01T00:00"])).toHaveLength(8)
    const [line] = orch(["events", "--home", home, "--json", "--type", "SpawnFailed"]).stdout.trim().split("\n")
    expect(JSON.parse(line!)).toMatchObject({ seq: 6, instance: "coder", type: "SpawnFailed", data: { reason: "port 8081 is in use" } })
  })

  it("refuses a bad --type or --since with a hint and exit 1", async () => {
    const home = await seededHome()
    const type = orch(["events", "--home", home, "--type", "HealthProbd"])
    expect(type.code).toBe(1)
    expect(type.stderr).toMatch(/"HealthProbd" is not an event type\nhint: did you mean HealthProbed\?/)
    const since = orch(["events", "--home", home, "--since", "last week"])
    expect(since.code).toBe(1)
    expect(hasStackTrace(since)).toBe(false)
  })

  it("says there are no events yet in a home without a journal, and creates none", () => {
    const home = tempHome()
    const run = orch(["events", "--home", home])
    expect(run).toMatchObject({ code: 0 })
    expect(run.stdout).toMatch(/No events yet/)
    expect(fs.existsSync(path.join(home, "journal"))).toBe(false)
  })

  it("--follow prints events that another process appends, until interrupted", async () => {
    const home = await seededHome()
    const child = spawn(process.execPath, [ORCH, "events", "--follow", "--home", home, "--instance", "qwen"], {
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    child.stdout.on("data", (chunk) => (stdout += chunk))
    const exited = new Promise((resolve) => child.once("exit", resolve))
    try {
      await waitFor(async () => (stdout.includes("#8 qwen") ? true : undefined), 10_000)
      await withJournal(journalIn(home), Effect.flatMap(Journal, (journal) => journal.append([on("coder", probe()), on("qwen", spawned(5151))])))
      await waitFor(async () => (stdout.includes("#10 qwen") ? true : undefined), 5_000)
      expect(stdout).not.toMatch(/#9 /)
      expect(stdout).toMatch(/#10 qwen +ProcessSpawned +pid 5151/)
    } finally {
      child.kill("SIGINT")
      await exited
    }
  })
})

describe("orch replay", () => {
  it("rebuilds every instance's state and shows it as a table", async () => {
    const home = await seededHome()
    const run = orch(["replay", "--home", home])
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/^Replayed the journal to event #8 from event #1:/)
    expect(run.stdout).toMatch(/│ coder +│ up +│ stopped +│ error +│ - +│/)
    expect(run.stdout).toMatch(/│ qwen +│ up +│ backoff +│ error +│ - +│ - +│ 0 +│ SIGABRT +│ #1 at /)
  })

  it("stops at --until and gives JSON with --json", async () => {
    const home = await seededHome()
    const state = JSON.parse(orch(["replay", "--home", home, "--until", "4", "--json"]).stdout)
    expect(state.seq).toBe(4)
    expect(state.instances.qwen).toMatchObject({ status: "running", health: "healthy", pid: 4242 })
    expect(state.instances.coder).toBeUndefined()
    expect(state.daemon).toMatchObject({ pid: 999, version: "0.1.0" })
  })

  it("--verify proves snapshot + tail = full fold, and exits 1 with the differences when a snapshot lies", async () => {
    const home = await seededHome()
    const written = orch(["replay", "--home", home, "--write-snapshot", "--verify"])
    expect(written.code).toBe(0)
    expect(written.stdout).toMatch(/snapshot written at #8/)
    expect(written.stdout).toMatch(/verified: the snapshot at #\d+ plus the events after it equals the full fold/)
    const db = rawDb(journalIn(home))
    const state = JSON.parse(db.prepare("SELECT state FROM snapshots ORDER BY seq DESC").pluck().get() as string)
    state.instances.qwen.status = "running"
    db.prepare("UPDATE snapshots SET state = ?").run(JSON.stringify(state))
    db.close()
    const lied = orch(["replay", "--home", home, "--verify"])
    expect(lied.code).toBe(1)
    expect(lied.stdout).toMatch(/│ instances\.qwen\.status │ "backoff" +│ "running" +│/)
  })
})

describe("orch journal", () => {
  it("check passes a sound journal and fails one with a row it cannot read, naming its seq", async () => {
    const home = await seededHome()
    expect(orch(["journal", "check", "--home", home])).toMatchObject({ code: 0 })
    const db = rawDb(journalIn(home))
    db.prepare("INSERT INTO events (at, instance, type, v, data) VALUES (1, 'x', 'HealthProbed', 9, '{}')").run()
    db.close()
    const run = orch(["journal", "check", "--home", home, "--json"])
    expect(run.code).toBe(1)
    const report = JSON.parse(run.stdout)
    expect(report.checks.find((check: { check: string }) => check.check === "events")).toEqual({
      check: "events",
      ok: false,
      detail: "event #9 (HealthProbed) cannot be read: version 9 of HealthProbed is newer than this orch knows (1): upgrade orch"
    })
    expect(orch(["events", "--home", home]).stderr).toMatch(/event #9 \(HealthProbed\) cannot be read/)
  })

  it("compact deletes old probes and request records and keeps what replay shows", async () => {
    const home = await seededHome()
    await withJournal(journalIn(home), Effect.flatMap(Journal, (journal) => journal.append([on("qwen", served())])))
    const before = JSON.parse(orch(["replay", "--home", home, "--json"]).stdout)
    const run = orch(["journal", "compact", "--home", home, "--probes-older-than", "0s", "--json"])
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject({ deleted: 2, deleted_requests: 1, base_seq: 9 })
    const after = JSON.parse(orch(["replay", "--home", home, "--json"]).stdout)
    expect({ ...after, seq: 0, base_seq: 0 }).toEqual({ ...before, seq: 0, base_seq: 0 })
    expect(orch(["events", "--home", home, "--type", "HealthProbed,RequestServed"]).stdout).toBe("")
    expect(orch(["events", "--home", home, "--type", "JournalCompacted"]).stdout).toMatch(/JournalCompacted +1 probes and 1 requests before .* deleted; base snapshot at #9$/m)
    expect(orch(["journal", "check", "--home", home])).toMatchObject({ code: 0 })
    const again = orch(["journal", "compact", "--home", home, "--probes-older-than", "0s"])
    expect(again.stdout).toMatch(/deleted 0 HealthProbed and 0 RequestServed events older than 0s; replays now start from the snapshot at #10/)
  })

  it.each([
    ["not SQLite", "notes\n".repeat(100), /is not an orch journal: it is not a SQLite database\. It was left as it is\./],
    ["empty of meaning", "SQLite format 3\u0000 but nothing after", /is not an orch journal/]
  ])("refuses a journal file that is %s, with exit 1 and the file left as it was", (_, content, message) => {
    const home = tempHome()
    const file = journalIn(home)
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, content)
    for (const args of [["events"], ["replay"], ["journal", "check"], ["events", "--follow"]]) {
      const run = orch([...args, "--home", home])
      expect(run.code, args.join(" ")).toBe(1)
      expect(run.stderr).toMatch(message)
      expect(hasStackTrace(run)).toBe(false)
    }
    expect(fs.readFileSync(file, "utf8")).toBe(content)
  })

  it("reports a journal folder it cannot create", () => {
    const home = tempHome()
    fs.writeFileSync(path.join(home, "journal"), "a file in the way")
    const run = orch(["events", "--follow", "--home", home])
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/cannot use the journal .*orch\.db: cannot use the folder/)
  })
})
