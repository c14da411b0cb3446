import * as fs from "node:fs"
import * as path from "node:path"
import Database from "better-sqlite3"
import { Effect } from "effect"
import { JournalUnavailable, NewerJournal, NoJournal, NotAJournal } from "./errors.js"
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

/** Looks at the file before SQLite does: nothing that is not a SQLite database is ever opened. */
const checkHeader = (file: string): NotAJournal | undefined => {
  const handle = fs.openSync(file, "r")
  try {
    const head = Buffer.alloc(SQLITE_HEADER.length)
    const read = fs.readSync(handle, head, 0, head.length, 0)
    if (read === 0) return undefined
    if (read < head.length || !head.equals(SQLITE_HEADER)) return new NotAJournal({ file, reason: "it is not a SQLite database" })
    return undefined
  } finally {
    fs.closeSync(handle)
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
 * tables migrated. A file that is not our journal, or is newer than this orch, is closed
 * again untouched and reported.
 */
export const openDatabase = (file: string, create: boolean) =>
  Effect.suspend((): Effect.Effect<Database.Database, NotAJournal | NewerJournal | JournalUnavailable | NoJournal> => {
    const exists = fs.existsSync(file)
    if (!exists && !create) return Effect.fail(new NoJournal({ file }))
    try {
      if (exists) {
        const notOurs = checkHeader(file)
        if (notOurs !== undefined) return Effect.fail(notOurs)
      } else {
        fs.mkdirSync(path.dirname(file), { recursive: true, mode: OWNER_ONLY.dir })
        fs.accessSync(path.dirname(file), fs.constants.W_OK)
        // SQLite gives its -wal and -shm files the mode of the database file: made private first.
        fs.closeSync(fs.openSync(file, "a", OWNER_ONLY.file))
      }
    } catch (error) {
      return Effect.fail(new JournalUnavailable({ file, reason: `cannot use the folder ${path.dirname(file)} (${code(error) || String(error)})` }))
    }
    // Judge an existing file through a read-only connection, which cannot change a byte of it.
    if (exists) {
      let probe: Database.Database | undefined
      try {
        probe = new Database(file, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS })
        const version = probe.pragma("user_version", { simple: true }) as number
        const application = probe.pragma("application_id", { simple: true }) as number
        const tables = probe.prepare("SELECT count(*) AS n FROM sqlite_master").pluck().get() as number
        if (version > SCHEMA_VERSION) return Effect.fail(new NewerJournal({ file, version, known: SCHEMA_VERSION }))
        if (application !== APPLICATION_ID && (application !== 0 || tables > 0)) {
          return Effect.fail(new NotAJournal({ file, reason: "it is another application's SQLite database" }))
        }
      } catch (error) {
        return Effect.fail(sqliteFailure(file, error))
      } finally {
        probe?.close()
      }
    }
    let db: Database.Database | undefined
    try {
      db = new Database(file, { timeout: BUSY_TIMEOUT_MS })
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
