import * as fs from "node:fs"
import * as path from "node:path"
import { Chunk, Effect, Fiber, Option, Stream } from "effect"
import { describe, expect, it } from "vitest"
import { EVENT_TYPES } from "../../src/domain/events.js"
import { toColumns } from "../../src/journal/codec.js"
import { Journal, JournalLive, TAIL_POLL_MS } from "../../src/journal/Journal.js"
import { currentState, replay, verify } from "../../src/journal/projection.js"
import { APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION } from "../../src/journal/schema.js"
import { journalIn, on, probe, rawDb, served, spawned, withJournal } from "../support/journal.js"

const collect = <A, E>(stream: Stream.Stream<A, E>) => Effect.map(Stream.runCollect(stream), Chunk.toReadonlyArray)

describe("append and read", () => {
  it("gives every event a seq and a time, and reads them back in order", async () => {
    const file = journalIn()
    const { seqs, read } = await withJournal(
      file,
      Effect.gen(function* () {
        const journal = yield* Journal
        const seqs = [
          ...(yield* journal.append([on("a", { _tag: "StartRequested", by: "cli" }), on("a", spawned(100))])),
          ...(yield* journal.append([on(null, { _tag: "DaemonStarted", pid: 9, version: "0.1.0" })]))
        ]
        return { seqs, read: yield* collect(journal.read()) }
      })
    )
    expect(seqs).toEqual([1, 2, 3])
    expect(read.map((envelope) => [envelope.seq, envelope.instance, envelope.event._tag])).toEqual([
      [1, "a", "StartRequested"],
      [2, "a", "ProcessSpawned"],
      [3, null, "DaemonStarted"]
    ])
    expect(read[1]!.event).toEqual(spawned(100))
    expect(Math.abs(read[0]!.at - Date.now())).toBeLessThan(60_000)
  })

  it("group-commits 100 concurrent appenders: each gets its own contiguous seqs, none lost", async () => {
    const file = journalIn()
    const results = await withJournal(
      file,
      Effect.gen(function* () {
        const journal = yield* Journal
        return yield* Effect.forEach(
          Array.from({ length: 100 }, (_, i) => i),
          (i) => journal.append([on(`f${i}`, probe()), on(`f${i}`, probe()), on(`f${i}`, probe())]),
          { concurrency: "unbounded" }
        )
      })
    )
    const all = results.flat()
    expect(new Set(all).size).toBe(300)
    expect(Math.max(...all)).toBe(300)
    for (const seqs of results) expect(seqs).toEqual([seqs[0], seqs[0]! + 1, seqs[0]! + 2])
    // Fewer commits than appenders is what group commit means: one `at` per commit.
    const commits = rawDb(file).prepare("SELECT count(DISTINCT at) AS n FROM events").pluck().get() as number
    expect(commits).toBeLessThanOrEqual(100)
  })

  it("filters by instance, type, time and seq", async () => {
    const file = journalIn()
    const read = await withJournal(
      file,
      Effect.gen(function* () {
        const journal = yield* Journal
        yield* journal.append([on("a", probe()), on("b", probe()), on("a", spawned(5)), on("b", { _tag: "StopRequested", by: "cli" })])
        return {
          a: yield* collect(journal.read({ instance: "a" })),
          types: yield* collect(journal.read({ types: ["ProcessSpawned", "StopRequested"] })),
          after: yield* collect(journal.read({ after: 2, until: 3 })),
          future: yield* collect(journal.read({ since: Date.now() + 60_000 }))
        }
      })
    )
    expect(read.a.map((e) => e.seq)).toEqual([1, 3])
    expect(read.types.map((e) => e.seq)).toEqual([3, 4])
    expect(read.after.map((e) => e.seq)).toEqual([3])
    expect(read.future).toEqual([])
  })

  it("reads more than one page", async () => {
    const file = journalIn()
    const count = await withJournal(
      file,
      Effect.gen(function* () {
        const journal = yield* Journal
        yield* journal.append(Array.from({ length: 12_345 }, (_, i) => on(`i${i % 3}`, probe("ok", i))))
        return (yield* collect(journal.read())).length
      })
    )
    expect(count).toBe(12_345)
  })
})

describe("the append-only rule", () => {
  it("is enforced by the database: UPDATE and DELETE are refused", async () => {
    const file = journalIn()
    await withJournal(file, Effect.flatMap(Journal, (journal) => journal.append([on("a", { _tag: "StartRequested", by: "cli" }), on("a", probe())])))
    const db = rawDb(file)
    expect(() => db.prepare("UPDATE events SET data = '{}' WHERE seq = 1").run()).toThrow(/append-only/)
    expect(() => db.prepare("DELETE FROM events WHERE seq = 1").run()).toThrow(/append-only/)
    expect(() => db.prepare("DELETE FROM events WHERE seq = 2").run()).toThrow(/append-only/)
    expect(db.prepare("SELECT count(*) FROM events").pluck().get()).toBe(2)
    db.close()
  })

  it("lets only HealthProbed and RequestServed rows go, and only while compaction's gate is open", async () => {
    const file = journalIn()
    await withJournal(file, Effect.flatMap(Journal, (journal) => journal.lastSeq))
    const db = rawDb(file)
    // The trigger looks at the type alone: a row of every type, whatever its data.
    const insert = db.prepare("INSERT INTO events (at, instance, type, v, data) VALUES (1, 'a', ?, 1, '{}')")
    for (const type of EVENT_TYPES) insert.run(type)
    const remove = (type: string) => () => db.prepare("DELETE FROM events WHERE type = ?").run(type).changes
    expect(remove("HealthProbed"), "gate shut").toThrow(/append-only/)
    expect(remove("RequestServed"), "gate shut").toThrow(/append-only/)
    db.prepare("UPDATE compaction_gate SET open = 1").run()
    const kept = EVENT_TYPES.filter((type) => type !== "HealthProbed" && type !== "RequestServed")
    for (const type of kept) expect(remove(type), type).toThrow(/append-only/)
    expect(remove("HealthProbed")()).toBe(1)
    expect(remove("RequestServed")()).toBe(1)
    expect(db.prepare("SELECT type FROM events ORDER BY seq").pluck().all()).toEqual(kept)
    db.close()
  })
})

describe("migrations", () => {
  it("brings a journal made at version 1 up to date on open, its rows kept, and then compacts its request records", async () => {
    const file = journalIn()
    fs.mkdirSync(path.dirname(file), { recursive: true })
    const old = rawDb(file)
    old.pragma("journal_mode = WAL")
    old.exec(MIGRATIONS[0]!)
    old.pragma(`application_id = ${APPLICATION_ID}`)
    old.pragma("user_version = 1")
    const events = [on("a", { _tag: "StartRequested", by: "cli" }), on("a", spawned(10)), on("a", probe()), on("a", served())]
    const insert = old.prepare("INSERT INTO events (at, instance, type, v, data) VALUES (1000, ?, ?, ?, ?)")
    for (const row of events.map(toColumns)) insert.run(row.instance, row.type, row.v, row.data)
    // Version 1's trigger keeps request records even with the gate open: the migration is what lets them go.
    old.exec("BEGIN; UPDATE compaction_gate SET open = 1")
    expect(() => old.prepare("DELETE FROM events WHERE type = 'RequestServed'").run()).toThrow(/only old HealthProbed events/)
    old.exec("ROLLBACK")
    old.close()

    const result = await withJournal(
      file,
      Effect.gen(function* () {
        const journal = yield* Journal
        const read = yield* collect(journal.read())
        return { read, compaction: yield* journal.compact(Date.now(), yield* replay()) }
      })
    )
    expect(result.read.map((envelope) => [envelope.seq, envelope.instance, envelope.event])).toEqual(events.map((event, i) => [i + 1, event.instance, event.event]))
    expect(result.compaction).toEqual({ base_seq: 4, deleted: 2, deleted_requests: 1 })
    const db = rawDb(file)
    expect(db.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION)
    // The newest rows went, and their seqs with them: the compaction's own event takes none of them again.
    expect(db.prepare("SELECT seq, type FROM events ORDER BY seq").raw().all()).toEqual([[1, "StartRequested"], [2, "ProcessSpawned"], [5, "JournalCompacted"]])
    expect(() => db.prepare("DELETE FROM events WHERE type = 'StartRequested'").run()).toThrow(/append-only/)
    db.close()
  })
})

describe("decoding rows", () => {
  const insertRow = (file: string, type: string, v: number, data: string) => {
    const db = rawDb(file)
    db.prepare("INSERT INTO events (at, instance, type, v, data) VALUES (1, 'a', ?, ?, ?)").run(type, v, data)
    db.close()
  }
  const readError = (file: string) =>
    withJournal(file, Effect.flatMap(Journal, (journal) => Effect.flip(Stream.runDrain(journal.read()))))

  it("upcasts an old version on read without rewriting the row", async () => {
    const file = journalIn()
    await withJournal(file, Effect.flatMap(Journal, (journal) => journal.lastSeq))
    insertRow(file, "StartRequested", 1, "{}")
    const [envelope] = await withJournal(file, Effect.flatMap(Journal, (journal) => collect(journal.read())))
    expect(envelope!.event).toEqual({ _tag: "StartRequested", by: "cli" })
    expect(rawDb(file).prepare("SELECT v, data FROM events").get()).toEqual({ v: 1, data: "{}" })
  })

  it.each([
    ["an unknown type", "ModelSwapped", 1, "{}", /seq 1|unknown event type "ModelSwapped"/],
    ["a newer version", "HealthProbed", 7, "{}", /version 7 of HealthProbed is newer than this orch knows \(1\)/],
    ["a malformed body", "HealthProbed", 1, '{"result":"great"}', /result/],
    ["data that is not JSON", "HealthProbed", 1, "{", /not JSON/]
  ])("is a clear error naming the seq for %s", async (_, type, v, data, problem) => {
    const file = journalIn()
    await withJournal(file, Effect.flatMap(Journal, (journal) => journal.lastSeq))
    insertRow(file, type, v, data)
    const error = await readError(file)
    expect(error).toMatchObject({ _tag: "BadEvent", seq: 1, type })
    expect((error as { problem: string }).problem).toMatch(problem)
  })
})

describe("tail", () => {
  it("delivers this process's commits as they happen", async () => {
    const file = journalIn()
    const seen = await withJournal(
      file,
      Effect.gen(function* () {
        const journal = yield* Journal
        yield* journal.append([on("a", probe())])
        const fiber = yield* Effect.fork(collect(Stream.take(journal.tail(), 3)))
        yield* Effect.sleep("30 millis")
        yield* journal.append([on("a", probe("error"))])
        yield* journal.append([on("b", probe())])
        return yield* Fiber.join(fiber).pipe(Effect.timeout("5 seconds"))
      })
    )
    expect(seen.map((envelope) => [envelope.seq, envelope.instance])).toEqual([[1, "a"], [2, "a"], [3, "b"]])
  })

  it("delivers another writer's commits, and only what the filter asks for", async () => {
    const file = journalIn()
    await withJournal(file, Effect.flatMap(Journal, (journal) => journal.lastSeq))
    const seen = await withJournal(
      file,
      Effect.gen(function* () {
        const journal = yield* Journal
        const fiber = yield* Effect.fork(collect(Stream.take(journal.tail({ instance: "wanted" }), 2)))
        // A second connection stands in for another process's writes.
        yield* Effect.sync(() => {
          const other = rawDb(file)
          const insert = other.prepare("INSERT INTO events (at, instance, type, v, data) VALUES (?, ?, 'StartRequested', 2, '{\"by\":\"cli\"}')")
          insert.run(Date.now(), "other")
          insert.run(Date.now(), "wanted")
          insert.run(Date.now(), "wanted")
          other.close()
        })
        return yield* Fiber.join(fiber).pipe(Effect.timeout("5 seconds"))
      })
    )
    expect(seen.map((envelope) => [envelope.seq, envelope.instance])).toEqual([[2, "wanted"], [3, "wanted"]])
  })
  it("is woken by another writer's commits, not by its poll", async () => {
    const file = journalIn()
    await withJournal(file, Effect.flatMap(Journal, (journal) => journal.lastSeq))
    const waits = await withJournal(
      file,
      Effect.gen(function* () {
        const journal = yield* Journal
        const seenAt: Array<number> = []
        const fiber = yield* Effect.fork(Stream.runForEach(Stream.take(journal.tail(), 5), () => Effect.sync(() => void seenAt.push(performance.now()))))
        const other = rawDb(file)
        const insert = other.prepare("INSERT INTO events (at, instance, type, v, data) VALUES (?, 'a', 'StartRequested', 2, '{\"by\":\"cli\"}')")
        const waits: Array<number> = []
        for (let i = 0; i < 5; i++) {
          yield* Effect.sleep(50)
          const at = performance.now()
          insert.run(Date.now())
          while (seenAt.length <= i && performance.now() - at < 5_000) yield* Effect.sleep(1)
          waits.push((seenAt[i] ?? Number.POSITIVE_INFINITY) - at)
        }
        other.close()
        yield* Fiber.join(fiber)
        return waits
      })
    )
    // A poll would take up to TAIL_POLL_MS.watched (1 s) for some of them.
    for (const wait of waits) expect(wait).toBeLessThan(TAIL_POLL_MS.watched / 2)
  })
})

describe("snapshots", () => {
  const fill = (count: number) =>
    Effect.flatMap(Journal, (journal) =>
      journal.append([
        on("a", { _tag: "StartRequested", by: "cli" }),
        on("a", spawned(10)),
        ...Array.from({ length: count }, (_, i) => on(i % 2 === 0 ? "a" : "b", probe(i % 7 === 0 ? "error" : "ok", i)))
      ])
    )

  it("status queries fold the newest snapshot plus the tail, and leave a snapshot behind", async () => {
    const file = journalIn()
    const { first, again, full, snapshot } = await withJournal(
      file,
      Effect.gen(function* () {
        const journal = yield* Journal
        yield* fill(2_500)
        const first = yield* currentState
        const snapshot = yield* journal.snapshot()
        yield* journal.append([on("b", { _tag: "StopRequested", by: "cli" })])
        const again = yield* currentState
        return { first, again, full: yield* replay(), snapshot }
      })
    )
    expect(Option.map(snapshot, (state) => state.seq)).toEqual(Option.some(first.seq))
    expect(again).toEqual(full)
    expect(again.instances["b"]?.desired).toBe("down")
  })

  it("ignores a snapshot of another fold version", async () => {
    const file = journalIn()
    await withJournal(file, fill(10))
    const db = rawDb(file)
    db.prepare("INSERT INTO snapshots (seq, fold_version, at, state) VALUES (12, 0, 1, '{\"garbage\":true}')").run()
    db.close()
    const [state, full] = await withJournal(file, Effect.all([currentState, replay()]))
    expect(state).toEqual(full)
    expect(state.instances["a"]?.pid).toBe(10)
  })

  it("verify proves snapshot + tail equals the full fold, and finds a snapshot that lies", async () => {
    const file = journalIn()
    const good = await withJournal(
      file,
      Effect.gen(function* () {
        yield* fill(100)
        yield* Effect.flatMap(Journal, (journal) => Effect.flatMap(replay(), journal.writeSnapshot))
        return yield* verify
      })
    )
    expect(good.differences).toEqual([])
    expect(good.snapshotSeq).toBe(102)
    const db = rawDb(file)
    const state = JSON.parse(db.prepare("SELECT state FROM snapshots").pluck().get() as string)
    state.instances.a.restart_count = 99
    db.prepare("UPDATE snapshots SET state = ?").run(JSON.stringify(state))
    db.close()
    const bad = await withJournal(file, verify)
    expect(bad.differences).toEqual([{ path: "instances.a.restart_count", full: 0, fast: 99 }])
  })

  it("replays up to a seq or a time", async () => {
    const file = journalIn()
    const { bySeq, byTime } = await withJournal(
      file,
      Effect.gen(function* () {
        const journal = yield* Journal
        yield* journal.append([on("a", { _tag: "StartRequested", by: "cli" })])
        yield* Effect.sleep("20 millis")
        const cut = Date.now()
        yield* Effect.sleep("20 millis")
        yield* journal.append([on("a", spawned(77))])
        return { bySeq: yield* replay({ seq: 1 }), byTime: yield* replay({ at: cut }) }
      })
    )
    expect(bySeq).toEqual(byTime)
    expect(bySeq.seq).toBe(1)
    expect(bySeq.instances["a"]).toMatchObject({ desired: "up", pid: null })
  })
})

describe("compaction", () => {
  it("deletes old probes and request records behind a snapshot; lifecycle events stay and every view is unchanged", async () => {
    const file = journalIn()
    const result = await withJournal(
      file,
      Effect.gen(function* () {
        const journal = yield* Journal
        yield* journal.append([on("a", { _tag: "StartRequested", by: "cli" }), on("a", spawned(10))])
        yield* journal.append(Array.from({ length: 500 }, (_, i) => on("a", i % 5 === 4 ? served(i) : probe(i % 5 === 0 ? "error" : "ok", i))))
        const before = yield* replay()
        const cutoff = Date.now() + 1
        yield* Effect.sleep("5 millis")
        yield* journal.append([on("a", probe("error", 999)), on("a", served(999)), on("a", { _tag: "StopRequested", by: "cli" })])
        const beforeWithTail = yield* replay()
        const compaction = yield* journal.compact(cutoff, before)
        const [recorded] = yield* collect(journal.read({ types: ["JournalCompacted"] }))
        return { compaction, recorded, beforeWithTail, after: yield* replay(), current: yield* currentState, checked: yield* verify }
      })
    )
    expect(result.compaction).toEqual({ base_seq: 505, deleted: 500, deleted_requests: 100 })
    expect(result.recorded!.event).toMatchObject({ ...result.compaction, _tag: "JournalCompacted" })
    // The ring of recent requests comes from the base snapshot now that their rows are gone.
    expect(result.after.instances["a"]!.served.map((request) => request.duration_ms).slice(-3)).toEqual([494, 499, 999])
    const strip = (state: typeof result.after) => ({ ...state, seq: 0, base_seq: 0 })
    expect(strip(result.after)).toEqual(strip(result.beforeWithTail))
    expect(strip(result.current)).toEqual(strip(result.beforeWithTail))
    expect(result.checked.differences).toEqual([])
    const db = rawDb(file)
    expect(db.prepare("SELECT type, count(*) AS n FROM events GROUP BY type ORDER BY type").all()).toEqual([
      { type: "HealthProbed", n: 1 },
      { type: "JournalCompacted", n: 1 },
      { type: "ProcessSpawned", n: 1 },
      { type: "RequestServed", n: 1 },
      { type: "StartRequested", n: 1 },
      { type: "StopRequested", n: 1 }
    ])
    expect(() => db.prepare("DELETE FROM events WHERE type = 'HealthProbed'").run()).toThrow(/append-only/)
    expect(() => db.prepare("DELETE FROM events WHERE type = 'RequestServed'").run()).toThrow(/append-only/)
    db.close()
  })

  it("refuses to replay to a point that compaction removed", async () => {
    const file = journalIn()
    const error = await withJournal(
      file,
      Effect.gen(function* () {
        const journal = yield* Journal
        yield* journal.append(Array.from({ length: 10 }, () => on("a", probe())))
        yield* journal.compact(Date.now() + 1, yield* replay())
        return yield* Effect.flip(replay({ seq: 5 }))
      })
    )
    expect(error).toMatchObject({ _tag: "Compacted", until: 5, base: 10 })
  })
})

describe("files that are not a journal", () => {
  const openError = (file: string) =>
    Effect.runPromise(Effect.flip(Effect.scoped(Effect.provide(Effect.flatMap(Journal, (journal) => journal.lastSeq), JournalLive(file)))))
  const bytes = (file: string) => fs.readFileSync(file).toString("base64")

  it("refuses a file that is not SQLite and leaves it untouched", async () => {
    const file = journalIn()
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, "this is my shopping list, not a database\n".repeat(20))
    const before = bytes(file)
    expect(await openError(file)).toMatchObject({ _tag: "NotAJournal", reason: "it is not a SQLite database" })
    expect(bytes(file)).toBe(before)
  })

  it("refuses a truncated journal and leaves it untouched", async () => {
    const file = journalIn()
    await withJournal(file, Effect.flatMap(Journal, (journal) => journal.append(Array.from({ length: 2_000 }, () => on("a", probe())))))
    const whole = fs.readFileSync(file)
    fs.writeFileSync(file, whole.subarray(0, 1_000))
    const before = bytes(file)
    expect(await openError(file)).toMatchObject({ _tag: "NotAJournal" })
    expect(bytes(file)).toBe(before)
  })

  it("refuses a journal from a newer orch and leaves it untouched", async () => {
    const file = journalIn()
    await withJournal(file, Effect.flatMap(Journal, (journal) => journal.append([on("a", probe())])))
    const db = rawDb(file)
    db.pragma("user_version = 99")
    db.pragma("journal_mode = DELETE")
    db.close()
    const before = bytes(file)
    expect(await openError(file)).toMatchObject({ _tag: "NewerJournal", version: 99, known: SCHEMA_VERSION })
    expect(bytes(file)).toBe(before)
  })

  it("refuses another application's SQLite database", async () => {
    const file = journalIn()
    fs.mkdirSync(path.dirname(file), { recursive: true })
    const db = rawDb(file)
    db.exec("CREATE TABLE recipes (name TEXT)")
    db.close()
    expect(await openError(file)).toMatchObject({ _tag: "NotAJournal", reason: "it is another application's SQLite database" })
  })

  it("refuses an empty file, leaving nothing beside it: orch makes a journal whole before it takes the name", async () => {
    const file = journalIn()
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, "")
    expect(await openError(file)).toMatchObject({ _tag: "NotAJournal", reason: "it is empty (0 bytes)" })
    expect(fs.readdirSync(path.dirname(file))).toEqual(["orch.db"])
    expect(fs.statSync(file).size).toBe(0)
  })

  it("makes a new journal under a name of its own and leaves nothing of that behind", async () => {
    const file = journalIn()
    await withJournal(file, Effect.flatMap(Journal, (journal) => journal.append([on("a", probe())])))
    expect(fs.readdirSync(path.dirname(file))).toEqual(["orch.db"])
  })

  it("opens a journal of an older orch whose process died before its first checkpoint (its id only in the WAL)", async () => {
    const file = journalIn()
    fs.mkdirSync(path.dirname(file), { recursive: true })
    const dying = rawDb(file)
    dying.pragma("journal_mode = WAL")
    dying.exec(MIGRATIONS[0]!)
    dying.pragma(`application_id = ${APPLICATION_ID}`)
    dying.pragma("user_version = 1")
    // What a kill -9 leaves: the files as they are now, with no close to checkpoint them.
    const copy = journalIn()
    fs.mkdirSync(path.dirname(copy), { recursive: true })
    for (const suffix of ["", "-wal"]) fs.copyFileSync(`${file}${suffix}`, `${copy}${suffix}`)
    dying.close()
    expect(fs.readFileSync(copy).readInt32BE(68)).toBe(0)
    expect(await withJournal(copy, Effect.flatMap(Journal, (journal) => journal.append([on("a", probe())])))).toEqual([1])
    const migrated = rawDb(copy)
    expect(migrated.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION)
    migrated.close()
  })

  it.each([
    ["a journal without write permission", (file: string) => fs.chmodSync(file, 0o444), "no one may write it (mode 0444)"],
    ["a journal in a folder without write permission", (file: string) => fs.chmodSync(path.dirname(file), 0o555), "no one may write it (mode 0555)"]
  ])("refuses %s, root or not, and leaves it and its folder as they were", async (_, seal, reason) => {
    const file = journalIn()
    await withJournal(file, Effect.flatMap(Journal, (journal) => journal.append([on("a", probe())])))
    const before = bytes(file)
    seal(file)
    try {
      expect(await openError(file)).toMatchObject({ _tag: "ReadOnlyJournal" })
      expect(((await openError(file)) as { reason: string }).reason).toContain(reason)
      expect(bytes(file)).toBe(before)
      expect(fs.readdirSync(path.dirname(file))).toEqual(["orch.db"])
    } finally {
      fs.chmodSync(path.dirname(file), 0o700)
    }
  })

  it("reports a journal folder that cannot be made", async () => {
    const file = journalIn()
    fs.mkdirSync(path.dirname(path.dirname(file)), { recursive: true })
    fs.writeFileSync(path.dirname(file), "a file where the journal folder should be")
    expect(await openError(file)).toMatchObject({ _tag: "JournalUnavailable" })
  })
})
