import * as fs from "node:fs"
import * as path from "node:path"
import type Database from "better-sqlite3"
import { Chunk, Clock, Context, Deferred, Effect, Either, Layer, Option, Queue, Ref, Runtime, Schedule, Stream } from "effect"
import type { Envelope, EventOf, NewEvent } from "../domain/events.js"
import { FOLD_VERSION, type State, fold } from "../domain/instances.js"
import { type RawRow, type Row, fromRawRowTrusted, fromRow, toColumns } from "./codec.js"
import { type BadEvent, JournalReplaced, JournalUnavailable } from "./errors.js"
import { openDatabase, sqliteFailure } from "./sqlite.js"

export interface ReadFilter {
  /** Only events after this seq. */
  readonly after?: number
  /** Only events up to this seq. */
  readonly until?: number
  readonly instance?: string
  readonly types?: ReadonlyArray<string>
  /** Only events at or after this time (ms since epoch). */
  readonly since?: number
  /** Only events at or before this time. */
  readonly untilAt?: number
}

/** What a compaction did, as its JournalCompacted event says it. */
export type Compaction = Omit<EventOf<"JournalCompacted">, "_tag" | "older_than">

/**
 * How often `tail` looks for other processes' commits when nothing woke it: our own commits
 * wake it at once, and other processes' through the WAL file changing, where the file system
 * reports that (inotify); where it does not, polling is all there is, and it is fast.
 */
export const TAIL_POLL_MS = { watched: 1_000, unwatched: 50 }
/**
 * A WAL change is reported at the commit's first frame, before its fsync makes it visible:
 * tails look again after these delays (ms), until the commit is surely whole.
 */
const WAL_SETTLE_MS = [2, 5, 10, 15, 25]
const PAGE = 5_000

export class Journal extends Context.Tag("Journal")<
  Journal,
  {
    readonly file: string
    /** Appends events durably; resumes once their batch is committed, with their seqs. */
    readonly append: (events: ReadonlyArray<NewEvent>) => Effect.Effect<ReadonlyArray<number>, JournalUnavailable | JournalReplaced>
    readonly read: (filter?: ReadFilter) => Stream.Stream<Envelope, BadEvent | JournalUnavailable | JournalReplaced>
    /** `read` for folds: type and version checked, the shape trusted (see fromRawRowTrusted). */
    readonly readForFold: (filter?: ReadFilter) => Stream.Stream<Envelope, BadEvent | JournalUnavailable | JournalReplaced>
    /** The newest `count` events that match, oldest first. */
    readonly readLast: (filter: ReadFilter, count: number) => Effect.Effect<ReadonlyArray<Envelope>, BadEvent | JournalUnavailable | JournalReplaced>
    /** `read`, then every later event from any writer, until interrupted. */
    readonly tail: (filter?: ReadFilter) => Stream.Stream<Envelope, BadEvent | JournalUnavailable | JournalReplaced>
    /** `tail` with readForFold's fast decoding: for the daemon, which folds every event. */
    readonly tailForFold: (filter?: ReadFilter) => Stream.Stream<Envelope, BadEvent | JournalUnavailable | JournalReplaced>
    readonly lastSeq: Effect.Effect<number, JournalUnavailable | JournalReplaced>
    /** The newest snapshot of this fold version at or before `atOrBefore`. */
    readonly snapshot: (atOrBefore?: number) => Effect.Effect<Option.Option<State>, JournalUnavailable | JournalReplaced>
    readonly writeSnapshot: (state: State) => Effect.Effect<void, JournalUnavailable | JournalReplaced>
    /** Deletes HealthProbed and RequestServed events older than `cutoff` behind a snapshot of `state` (brought up to date). */
    readonly compact: (cutoff: number, state: State) => Effect.Effect<Compaction, BadEvent | JournalUnavailable | JournalReplaced>
    /** SQLite's own integrity check: ["ok"] when all is well. */
    readonly integrityCheck: Effect.Effect<ReadonlyArray<string>, JournalUnavailable | JournalReplaced>
    /**
     * Fails once the journal's files on disk are no longer the ones this connection opened; so
     * does every read and write from then on, and nothing more goes into the old files.
     */
    readonly stillOnDisk: Effect.Effect<void, JournalReplaced>
  }
>() {}

interface Pending {
  readonly rows: ReadonlyArray<ReturnType<typeof toColumns>>
  /** Resumes the appender: a plain callback, lighter than a Deferred on this hot path. */
  readonly resume: (result: Effect.Effect<ReadonlyArray<number>, JournalUnavailable | JournalReplaced>) => void
}

const whereClause = (filter: ReadFilter) => {
  const clauses = ["seq > @after"]
  if (filter.until !== undefined) clauses.push("seq <= @until")
  if (filter.instance !== undefined) clauses.push("instance = @instance")
  if (filter.types !== undefined) clauses.push(`type IN (${filter.types.map((_, i) => `@type${i}`).join(", ")})`)
  if (filter.since !== undefined) clauses.push("at >= @since")
  if (filter.untilAt !== undefined) clauses.push("at <= @untilAt")
  return clauses.join(" AND ")
}

const parameters = (filter: ReadFilter, after: number) => ({
  after,
  ...(filter.until === undefined ? {} : { until: filter.until }),
  ...(filter.instance === undefined ? {} : { instance: filter.instance }),
  ...Object.fromEntries((filter.types ?? []).map((type, i) => [`type${i}`, type])),
  ...(filter.since === undefined ? {} : { since: filter.since }),
  ...(filter.untilAt === undefined ? {} : { untilAt: filter.untilAt })
})

const decodeAll = <R>(rows: ReadonlyArray<R>, decode: (row: R) => Either.Either<Envelope, BadEvent>): Either.Either<Array<Envelope>, BadEvent> => {
  const envelopes: Array<Envelope> = []
  for (const row of rows) {
    const decoded = decode(row)
    if (Either.isLeft(decoded)) return Either.left(decoded.left)
    envelopes.push(decoded.right)
  }
  return Either.right(envelopes)
}

/** Which file a path names now (device and inode): undefined if none, null if that cannot be told. */
const identityOf = (target: string): string | undefined | null => {
  try {
    const stat = fs.statSync(target, { throwIfNoEntry: false })
    return stat === undefined ? undefined : `${stat.dev}:${stat.ino}`
  } catch {
    return null
  }
}

/**
 * The journal's files as a connection just opened them, and a look at whether they still are:
 * what is gone or another file now, if anything. SQLite never deletes or swaps them while a
 * connection has the database open (a WAL-mode connection holds a shared lock on it, so another
 * is never the last to close and clean up): a difference is someone else's doing.
 */
const filesOpened = (file: string) => {
  const opened = [
    { target: file, name: "the database file" },
    { target: `${file}-wal`, name: "its WAL" },
    { target: `${file}-shm`, name: "its shared-memory index" }
  ].flatMap(({ target, name }) => {
    const identity = identityOf(target)
    return typeof identity === "string" ? [{ target, name, identity }] : []
  })
  const changed = () => {
    for (const { target, name, identity } of opened) {
      const now = identityOf(target)
      if (now !== null && now !== identity) return `${name} (${path.basename(target)}) was ${now === undefined ? "deleted" : "replaced by another file"}`
    }
    return undefined
  }
  return { names: new Set(opened.map(({ target }) => path.basename(target))), changed }
}

/**
 * Connections whose journal was replaced under them, never to be closed. Closing one would
 * checkpoint its old, unlinked WAL into the database file that a new WAL now goes with, then
 * delete the files that bear its WAL's and index's names, which are someone else's: tried, it
 * lost every request recorded since the replacement. better-sqlite3 closes a connection when it
 * is garbage-collected (hence the references held here) and every open one when node exits
 * normally; process.exit does neither, so once one is abandoned a normal exit becomes that.
 */
const abandoned = new Set<Database.Database>()
const abandon = (db: Database.Database) => {
  if (abandoned.size === 0) process.once("exit", (code) => process.exit(code))
  abandoned.add(db)
}

const make = (file: string, create: boolean) =>
  Effect.gen(function* () {
    let replaced: JournalReplaced | undefined
    const { db, opened } = yield* Effect.acquireRelease(
      Effect.map(openDatabase(file, create), (db) => ({ db, opened: filesOpened(file) })),
      ({ db, opened }) => Effect.sync(() => (replaced === undefined && opened.changed() === undefined ? db.close() : abandon(db)))
    )
    const changedOnDisk = () => {
      if (replaced !== undefined) return replaced
      const what = opened.changed()
      if (what === undefined) return undefined
      abandon(db)
      return (replaced = new JournalReplaced({ file, what }))
    }
    const stillOnDisk = Effect.suspend(() => {
      const changed = changedOnDisk()
      return changed === undefined ? Effect.void : Effect.fail(changed)
    })

    const fail = (error: unknown) => sqliteFailure(file, error)
    /** A synchronous SQLite call, its failure typed; none at all once the files on disk changed. */
    const sql = <A>(run: () => A) =>
      Effect.zipRight(
        stillOnDisk,
        Effect.try({ try: run, catch: fail }).pipe(
          Effect.catchTag("NotAJournal", (error) => Effect.fail(new JournalUnavailable({ file, reason: error.reason })))
        )
      )

    const statements = new Map<string, Database.Statement>()
    const prepared = (text: string) => {
      let statement = statements.get(text)
      if (statement === undefined) statements.set(text, (statement = db.prepare(text)))
      return statement
    }

    const select = (filter: ReadFilter, limit: number) =>
      prepared(`SELECT seq, at, instance, type, v, data FROM events WHERE ${whereClause(filter)} ORDER BY seq LIMIT ${limit}`)
    const readPage = (filter: ReadFilter, after: number, limit: number) => select(filter, limit).raw(false).all(parameters(filter, after)) as Array<Row>
    const readRawPage = (filter: ReadFilter, after: number, limit: number) => select(filter, limit).raw(true).all(parameters(filter, after)) as Array<RawRow>

    // ---- appends, group-committed ----------------------------------------------------------
    const insert = db.prepare("INSERT INTO events (at, instance, type, v, data) VALUES (?, ?, ?, ?, ?)")
    const commitBatch = db.transaction((batch: ReadonlyArray<Pending>, at: number) =>
      batch.map((pending) =>
        pending.rows.map((row) => Number(insert.run(row.at ?? at, row.instance, row.type, row.v, row.data).lastInsertRowid))
      )
    )
    const queue = yield* Queue.unbounded<Pending>()
    // Every commit completes the current signal and installs a fresh one: tails wake at once.
    const committed = yield* Ref.make(yield* Deferred.make<void>())
    const signalCommit = Effect.flatMap(Deferred.make<void>(), (next) =>
      Ref.getAndSet(committed, next).pipe(Effect.flatMap((previous) => Deferred.succeed(previous, undefined)))
    )

    // Other processes' commits: the WAL changing wakes tails at once (the poll stays as a fallback,
    // for file systems where watching does not work). Our own commits change the WAL too, ten times
    // a second while servers are probed: SQLite's data_version moves only for other connections'
    // commits, so a look at it tells theirs from ours, and only theirs wake the tails (waking on
    // our own cost a daemon probing 100 servers CPU: bench/RESULTS.md).
    const wakeOnChange = Runtime.runFork(yield* Effect.runtime<never>())
    const dataVersion = db.prepare("PRAGMA data_version").pluck()
    let seenVersion = dataVersion.get()
    const otherCommitted = () => {
      // A connection whose files were replaced is not asked again: the tails, woken, say why.
      if (changedOnDisk() !== undefined) return true
      let version: unknown
      try {
        version = dataVersion.get()
      } catch {
        return true
      }
      if (version === seenVersion) return false
      seenVersion = version
      return true
    }
    let pollMs = TAIL_POLL_MS.unwatched
    yield* Effect.acquireRelease(
      Effect.sync(() => {
        try {
          // Only the WAL: writers write it; readers touch only the shm, through mmap, which is not reported.
          const wal = `${path.basename(file)}-wal`
          // One round of looks at a time; a report during a round asks for one more round after it.
          let round: NodeJS.Timeout | undefined
          let again = false
          const look = (step: number) => {
            if (otherCommitted()) wakeOnChange(signalCommit)
            if (step < WAL_SETTLE_MS.length) {
              round = setTimeout(look, WAL_SETTLE_MS[step]! - (WAL_SETTLE_MS[step - 1] ?? 0), step + 1)
            } else if (again) {
              again = false
              look(0)
            } else round = undefined
          }
          const watcher = fs.watch(path.dirname(file), (_, name) => {
            // One of the journal's files deleted or replaced: the tails learn it at once.
            if (name !== null && opened.names.has(name) && replaced === undefined && changedOnDisk() !== undefined) return void wakeOnChange(signalCommit)
            if (name !== wal) return
            if (round !== undefined) return void (again = true)
            look(0)
          })
          pollMs = TAIL_POLL_MS.watched
          return { watcher, stop: () => clearTimeout(round) }
        } catch {
          return undefined
        }
      }),
      (watching) => Effect.sync(() => {
        watching?.watcher.close()
        watching?.stop()
      })
    )

    // The poll: one timer for all of this connection's tails, not a timer and a race per wait.
    yield* Effect.forkScoped(Effect.repeat(signalCommit, Schedule.spaced(pollMs)))

    const busyRetry = Schedule.exponential("20 millis").pipe(Schedule.intersect(Schedule.recurs(8)))
    const writeOnce = Effect.gen(function* () {
      const first = yield* Queue.take(queue)
      const batch = [first, ...(yield* Queue.takeAll(queue))]
      const at = yield* Clock.currentTimeMillis
      const result = yield* sql(() => commitBatch.immediate(batch, at)).pipe(
        Effect.retry({ schedule: busyRetry, while: (error) => error._tag === "JournalUnavailable" && error.reason.startsWith("SQLITE_BUSY") }),
        Effect.either
      )
      batch.forEach((pending, index) =>
        pending.resume(Either.isRight(result) ? Effect.succeed(result.right[index]!) : Effect.fail(result.left))
      )
      if (Either.isRight(result)) yield* signalCommit
    })
    yield* Effect.forkScoped(Effect.forever(writeOnce))

    const append = (events: ReadonlyArray<NewEvent>) =>
      events.length === 0
        ? Effect.succeed([])
        : Effect.async<ReadonlyArray<number>, JournalUnavailable | JournalReplaced>((resume) => {
            queue.unsafeOffer({ rows: events.map(toColumns), resume })
          })

    // ---- reads -----------------------------------------------------------------------------
    const page = (filter: ReadFilter, after: number) =>
      sql(() => readPage(filter, after, PAGE)).pipe(Effect.flatMap((rows) => decodeAll(rows, fromRow)))
    const trustedPage = (filter: ReadFilter, after: number) =>
      sql(() => readRawPage(filter, after, PAGE)).pipe(Effect.flatMap((rows) => decodeAll(rows, fromRawRowTrusted)))

    const pages = (next: typeof page) => (filter: ReadFilter = {}) =>
      Stream.paginateChunkEffect(filter.after ?? 0, (after) =>
        Effect.map(next(filter, after), (envelopes) => [
          Chunk.unsafeFromArray(envelopes),
          envelopes.length < PAGE ? Option.none() : Option.some(envelopes[envelopes.length - 1]!.seq)
        ] as const)
      )
    const readLast = (filter: ReadFilter, count: number) =>
      sql(
        () =>
          prepared(
            `SELECT * FROM (SELECT seq, at, instance, type, v, data FROM events WHERE ${whereClause(filter)} ORDER BY seq DESC LIMIT ${Math.max(0, Math.floor(count))}) ORDER BY seq`
          ).all(parameters(filter, filter.after ?? 0)) as Array<Row>
      ).pipe(Effect.flatMap((rows) => decodeAll(rows, fromRow)))

    const read = pages(page)
    const readForFold = pages(trustedPage)

    // The signal is taken before the read: a commit between the read and the wait still wakes it.
    const tails = (next: typeof page) => (filter: ReadFilter = {}) =>
      Stream.paginateChunkEffect(filter.after ?? 0, (after) =>
        Effect.flatMap(Ref.get(committed), (signal) =>
          Effect.flatMap(next(filter, after), (envelopes) =>
            envelopes.length > 0
              ? Effect.succeed([Chunk.unsafeFromArray(envelopes), Option.some(envelopes[envelopes.length - 1]!.seq)] as const)
              : Effect.as(Deferred.await(signal), [Chunk.empty<Envelope>(), Option.some(after)] as const)
          )
        )
      )

    const tail = tails(page)
    const tailForFold = tails(trustedPage)

    const lastSeq = sql(() => prepared("SELECT coalesce(max(seq), 0) FROM events").pluck().get() as number)

    // ---- snapshots and compaction ------------------------------------------------------------
    const snapshot = (atOrBefore = Number.MAX_SAFE_INTEGER) =>
      sql(
        () =>
          prepared("SELECT state FROM snapshots WHERE fold_version = ? AND seq <= ? ORDER BY seq DESC LIMIT 1")
            .pluck()
            .get(FOLD_VERSION, atOrBefore) as string | undefined
      ).pipe(Effect.map((text) => Option.map(Option.fromNullable(text), (json) => JSON.parse(json) as State)))

    const KEEP_SNAPSHOTS = 3
    const storeSnapshot = (state: State, at: number) => {
      prepared("INSERT OR REPLACE INTO snapshots (seq, fold_version, at, state) VALUES (?, ?, ?, ?)").run(
        state.seq,
        FOLD_VERSION,
        at,
        JSON.stringify(state)
      )
      // Compaction snapshots are the base of every later replay: never prune those.
      prepared(
        `DELETE FROM snapshots WHERE seq NOT IN (SELECT seq FROM snapshots ORDER BY seq DESC LIMIT ${KEEP_SNAPSHOTS})
         AND seq NOT IN (SELECT json_extract(data, '$.base_seq') FROM events WHERE type = 'JournalCompacted')`
      ).run()
    }

    const writeSnapshot = (state: State) =>
      Effect.flatMap(Clock.currentTimeMillis, (at) => sql(() => db.transaction(() => storeSnapshot(state, at)).immediate()))

    /** The delete trigger lets only these two types go, and only while the gate is open. */
    const deleteOld = (type: "HealthProbed" | "RequestServed", cutoff: number, seq: number) =>
      prepared("DELETE FROM events WHERE type = ? AND at < ? AND seq <= ?").run(type, cutoff, seq).changes

    const compact = (cutoff: number, state: State) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.flatMap(
          sql(() =>
            db.transaction(() => {
              // Under the write lock nothing new arrives: fold what came since `state` was taken.
              const tailRows = readPage({}, state.seq, Number.MAX_SAFE_INTEGER)
              const decoded = decodeAll(tailRows, fromRow)
              if (Either.isLeft(decoded)) return Either.left(decoded.left)
              const current = fold(decoded.right, state)
              const base: State = { ...current, base_seq: current.seq }
              storeSnapshot(base, now)
              prepared("UPDATE compaction_gate SET open = 1").run()
              const probes = deleteOld("HealthProbed", cutoff, base.seq)
              const requests = deleteOld("RequestServed", cutoff, base.seq)
              prepared("UPDATE compaction_gate SET open = 0").run()
              const compaction: Compaction = { base_seq: base.seq, deleted: probes + requests, deleted_requests: requests }
              const row = toColumns({ instance: null, event: { _tag: "JournalCompacted", ...compaction, older_than: cutoff } })
              // Its seq is given, not left to SQLite, which would hand out again the seq of a newest
              // row just deleted: a tail that had read that row would never see this event.
              prepared("INSERT INTO events (seq, at, instance, type, v, data) VALUES (?, ?, ?, ?, ?, ?)").run(base.seq + 1, now, row.instance, row.type, row.v, row.data)
              return Either.right(compaction)
            }).immediate()
          ),
          (result) => Effect.tap(result, () => signalCommit)
        )
      )

    const integrityCheck = sql(() => db.pragma("integrity_check", { simple: false }) as Array<{ integrity_check: string }>).pipe(
      Effect.map((rows) => rows.map((row) => row.integrity_check))
    )

    return Journal.of({ file, append, read, readForFold, readLast, tail, tailForFold, lastSeq, snapshot, writeSnapshot, compact, integrityCheck, stillOnDisk })
  })

/** The journal at `file`, created if missing. */
export const JournalLive = (file: string) => Layer.scoped(Journal, make(file, true))
/** The journal at `file` if there is one (NoJournal if not): for commands that only read. */
export const JournalExisting = (file: string) => Layer.scoped(Journal, make(file, false))
