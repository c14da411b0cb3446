import * as fs from "node:fs"
import * as path from "node:path"
import Database from "better-sqlite3"
import { Data, Effect } from "effect"
import { OWNER_ONLY } from "../journal/sqlite.js"
import { platform } from "./platform/current.js"

export class AlreadyRunning extends Data.TaggedError("AlreadyRunning")<{ readonly pid: number | undefined }> {}
export class LockUnavailable extends Data.TaggedError("LockUnavailable")<{ readonly file: string; readonly reason: string }> {}

export interface DaemonPid {
  readonly pid: number
  readonly startTime: string
}

export const lockFile = (journalDir: string) => path.join(journalDir, "daemon.lock")
export const pidFile = (journalDir: string) => path.join(journalDir, "daemon.pid")

/** The running daemon of a home, if any: the pid file, checked against the live process. */
export const runningDaemon = (journalDir: string): DaemonPid | undefined => {
  try {
    const [pid, startTime] = fs.readFileSync(pidFile(journalDir), "utf8").trim().split(" ")
    const candidate = { pid: Number(pid), startTime: startTime ?? "" }
    return Number.isInteger(candidate.pid) && platform.isAlive(candidate.pid, candidate.startTime) ? candidate : undefined
  } catch {
    return undefined
  }
}

/**
 * One daemon per home. The lock is an exclusive SQLite transaction held for the daemon's life:
 * SQLite locks with fcntl, which the kernel drops when the process dies, so a daemon killed with
 * -9 can never leave it stuck, and two daemons starting at once cannot both win. The pid file
 * beside it (pid and start time) only tells others who holds it.
 */
export const acquireDaemonLock = (journalDir: string) =>
  Effect.acquireRelease(
    Effect.suspend((): Effect.Effect<{ readonly db: Database.Database; readonly me: DaemonPid }, AlreadyRunning | LockUnavailable> => {
      try {
        fs.mkdirSync(journalDir, { recursive: true, mode: OWNER_ONLY.dir })
      } catch (error) {
        return Effect.fail(new LockUnavailable({ file: lockFile(journalDir), reason: String(error) }))
      }
      const db = new Database(lockFile(journalDir), { timeout: 0 })
      try {
        db.exec("BEGIN EXCLUSIVE")
      } catch (error) {
        db.close()
        return (error as { code?: string }).code === "SQLITE_BUSY"
          ? Effect.fail(new AlreadyRunning({ pid: runningDaemon(journalDir)?.pid }))
          : Effect.fail(new LockUnavailable({ file: lockFile(journalDir), reason: String(error) }))
      }
      const me = { pid: process.pid, startTime: platform.startTimeOf(process.pid) ?? "" }
      fs.writeFileSync(`${pidFile(journalDir)}.${process.pid}`, `${me.pid} ${me.startTime}\n`)
      fs.renameSync(`${pidFile(journalDir)}.${process.pid}`, pidFile(journalDir))
      return Effect.succeed({ db, me })
    }),
    ({ db, me }) =>
      Effect.sync(() => {
        if (runningDaemon(journalDir)?.pid === me.pid) fs.rmSync(pidFile(journalDir), { force: true })
        db.close()
      })
  ).pipe(Effect.map(({ me }) => me))
