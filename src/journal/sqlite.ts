import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import Database from "better-sqlite3"
import { Effect } from "effect"
import { JournalUnavailable, NewerJournal, NoJournal, NotAJournal, ReadOnlyJournal } from "./errors.js"
import { APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION } from "./schema.js"

const SQLITE_HEADER = Buffer.from("SQLite format 3\u0000", "latin1")

/** How long one statement waits for another process's write lock before SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 10_000

const code = (error: unknown) => (error as { readonly code?: string }).code ?? ""

/**
 * The journal holds every config as it was applied, secrets included (an --api-key, tokens in
 * env): only its owner may read it, its folder, its WAL and its daemon's log.
 */
export const OWNER_ONLY = { file: 0o600, dir: 0o700 } as const

/**
 * Tightens a journal made before this rule (or under another umask) by taking the group's and
 * others' bits away; it never adds one (a journal made read-only stays so). What we do not own
 * stays as it is.
 */
const keepPrivate = (file: string) => {
  for (const target of [path.dirname(file), file, `${file}-wal`, `${file}-shm`]) {
    try {
      const mode = fs.statSync(target).mode & 0o777
      if ((mode & 0o077) !== 0) fs.chmodSync(target, mode & 0o700)
    } catch {
      // Not there, not ours, or a read-only file system: nothing to tighten here.
    }
  }
}

/** SQLite's complaint, as one of our typed errors. */
export const sqliteFailure = (file: string, error: unknown): NotAJournal | JournalUnavailable => {
  const reason = error instanceof Error ? error.message : String(error)
  return code(error) === "SQLITE_NOTADB" || code(error).startsWith("SQLITE_CORRUPT")
    ? new NotAJournal({ file, reason: `it is damaged (${reason})` })
    : new JournalUnavailable({ file, reason: `${code(error) || "error"}: ${reason}` })
}

/**
 * What the file's first 100 bytes say (sqlite.org/fileformat.html, "The Database Header"), read
 * before SQLite opens it: SQLite would make a -wal and a -shm beside even a file it then finds
 * damaged, and would turn an empty one into a database. "ask SQLite": a file without our
 * application id whose -wal may hold it (a journal made before journals were made whole, whose
 * process died before its first checkpoint).
 */
const judgeFile = (file: string, stat: fs.Stats): NotAJournal | NewerJournal | "ours" | "ask SQLite" => {
  const notOurs = (reason: string) => new NotAJournal({ file, reason })
  if (stat.isDirectory()) return notOurs("it is a folder, not a file")
  if (!stat.isFile()) return notOurs("it is not a regular file")
  // openDatabase makes a journal whole before it takes this name: an empty file is none of ours.
  if (stat.size === 0) return notOurs("it is empty (0 bytes)")
  const head = Buffer.alloc(100)
  const handle = fs.openSync(file, "r")
  let read: number
  try {
    read = fs.readSync(handle, head, 0, head.length, 0)
  } finally {
    fs.closeSync(handle)
  }
  if (read < head.length || !head.subarray(0, SQLITE_HEADER.length).equals(SQLITE_HEADER)) return notOurs("it is not a SQLite database")
  const pageSize = head.readUInt16BE(16) === 1 ? 65_536 : head.readUInt16BE(16)
  if (pageSize < 512 || (pageSize & (pageSize - 1)) !== 0) return notOurs("it is damaged (its header names no valid page size)")
  // With a WAL beside it, the file alone is not the database: a checkpoint cut short by a crash
  // leaves it shorter than its header says, and SQLite finishes that checkpoint from the WAL.
  const wal = (fs.statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0) > 0
  // The page count is kept up to date where the two counters agree (every SQLite since 3.7.0).
  const pages = head.readUInt32BE(28)
  if (!wal && head.readUInt32BE(24) === head.readUInt32BE(92) && stat.size < pages * pageSize) {
    return notOurs(`it is damaged (cut short: ${stat.size} bytes, where its header counts ${pages * pageSize})`)
  }
  const application = head.readInt32BE(68)
  if (application === APPLICATION_ID) {
    const version = head.readUInt32BE(60)
    return version > SCHEMA_VERSION ? new NewerJournal({ file, version, known: SCHEMA_VERSION }) : "ours"
  }
  return application === 0 && wal ? "ask SQLite" : notOurs("it is another application's SQLite database")
}

/**
 * Why orch may not write `target`, if it may not. Root may write where no write bit is set; a
 * journal or folder made read-only on purpose is honoured all the same, as `rm` and editors do.
 */
const whyReadOnly = (target: string): string | undefined => {
  const mode = fs.statSync(target).mode & 0o777
  if ((mode & 0o222) === 0) return `no one may write it (mode ${mode.toString(8).padStart(4, "0")})`
  try {
    fs.accessSync(target, fs.constants.W_OK)
    return undefined
  } catch (error) {
    return code(error) === "EPERM" ? "it is immutable (chattr +i)" : code(error) === "EROFS" ? "it is on a read-only file system" : `it cannot be written (${code(error) || String(error)})`
  }
}

/**
 * The journal, or the folder it is made in, where orch may not write. Reading commands are held
 * to it too: SQLite writes a -wal and a -shm beside the journal even to read it, and a read-only
 * connection leaves them there.
 */
const readOnly = (file: string, targets: ReadonlyArray<"file" | "folder">): ReadOnlyJournal | undefined => {
  for (const target of targets) {
    const reason = whyReadOnly(target === "file" ? file : path.dirname(file))
    if (reason !== undefined) return new ReadOnlyJournal({ file, reason: target === "file" ? reason : `its folder ${path.dirname(file)}: ${reason}` })
  }
  return undefined
}

/**
 * A new journal is made whole under a name of its own and only then linked to `file`, which it
 * never replaces: no one ever sees a journal half made (nor an empty file that was to become
 * one), and of two processes making it at once, one wins and both use its journal.
 */
const createJournal = (file: string) => {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: OWNER_ONLY.dir })
  const fresh = `${file}.new-${process.pid}-${randomBytes(4).toString("hex")}`
  // SQLite gives its -wal and -shm files the mode of the database file: made private first.
  fs.closeSync(fs.openSync(fresh, "w", OWNER_ONLY.file))
  try {
    const db = new Database(fresh)
    try {
      db.pragma("journal_mode = WAL")
      migrate(db)
    } finally {
      db.close()
    }
    try {
      fs.linkSync(fresh, file)
    } catch (error) {
      if (code(error) === "EEXIST") return
      // A file system without hard links: the same, but two makers at once may not both win.
      if (fs.existsSync(file)) return
      fs.renameSync(fresh, file)
    }
  } finally {
    for (const leftover of [fresh, `${fresh}-wal`, `${fresh}-shm`]) fs.rmSync(leftover, { force: true })
  }
}

const migrate = (db: Database.Database) => {
  if ((db.pragma("user_version", { simple: true }) as number) === SCHEMA_VERSION) return
  db.transaction(() => {
    // Read again under the write lock: another process may have migrated meanwhile.
    const from = db.pragma("user_version", { simple: true }) as number
    for (let version = from; version < SCHEMA_VERSION; version++) db.exec(MIGRATIONS[version]!)
    if (from < SCHEMA_VERSION) {
      db.pragma(`application_id = ${APPLICATION_ID}`)
      db.pragma(`user_version = ${SCHEMA_VERSION}`)
    }
  }).immediate()
}

/**
 * Opens (and with `create`, creates) the journal: WAL, synchronous=FULL, a busy timeout,
 * tables migrated. A file that is not our journal, is newer than this orch, or may not be
 * written is left as it is, byte for byte and with nothing new beside it, and reported.
 */
export const openDatabase = (file: string, create: boolean) =>
  Effect.suspend((): Effect.Effect<Database.Database, NotAJournal | NewerJournal | ReadOnlyJournal | JournalUnavailable | NoJournal> => {
    let stat: fs.Stats | undefined
    try {
      stat = fs.statSync(file, { throwIfNoEntry: false })
      if (stat === undefined) {
        if (!create) return Effect.fail(new NoJournal({ file }))
        const folder = fs.existsSync(path.dirname(file)) ? readOnly(file, ["folder"]) : undefined
        if (folder !== undefined) return Effect.fail(folder)
        createJournal(file)
      }
    } catch (error) {
      return Effect.fail(new JournalUnavailable({ file, reason: `cannot use the folder ${path.dirname(file)} (${code(error) || String(error)})` }))
    }
    let judged: ReturnType<typeof judgeFile>
    try {
      judged = judgeFile(file, stat ?? fs.statSync(file))
      if (typeof judged !== "string") return Effect.fail(judged)
      const locked = readOnly(file, ["file", "folder"])
      if (locked !== undefined) return Effect.fail(locked)
    } catch (error) {
      return Effect.fail(new JournalUnavailable({ file, reason: `cannot read it (${code(error) || String(error)})` }))
    }
    // Only a file that may yet be ours is shown to SQLite, first through a read-only connection.
    if (judged === "ask SQLite") {
      let probe: Database.Database | undefined
      try {
        probe = new Database(file, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS })
        const version = probe.pragma("user_version", { simple: true }) as number
        const application = probe.pragma("application_id", { simple: true }) as number
        const tables = probe.prepare("SELECT count(*) AS n FROM sqlite_master").pluck().get() as number
        if (application !== APPLICATION_ID && (application !== 0 || tables > 0)) {
          return Effect.fail(new NotAJournal({ file, reason: "it is another application's SQLite database" }))
        }
        if (version > SCHEMA_VERSION) return Effect.fail(new NewerJournal({ file, version, known: SCHEMA_VERSION }))
      } catch (error) {
        return Effect.fail(sqliteFailure(file, error))
      } finally {
        probe?.close()
      }
    }
    let db: Database.Database | undefined
    try {
      db = new Database(file, { timeout: BUSY_TIMEOUT_MS, fileMustExist: true })
      // A newer orch's version may be in the WAL only, where the header check cannot see it.
      const version = db.pragma("user_version", { simple: true }) as number
      if (version > SCHEMA_VERSION) {
        db.close()
        return Effect.fail(new NewerJournal({ file, version, known: SCHEMA_VERSION }))
      }
      db.pragma("journal_mode = WAL")
      db.pragma("synchronous = FULL")
      migrate(db)
      keepPrivate(file)
      return Effect.succeed(db)
    } catch (error) {
      db?.close()
      return Effect.fail(sqliteFailure(file, error))
    }
  })
