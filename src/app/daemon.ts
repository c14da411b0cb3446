import { spawn } from "node:child_process"
import * as fs from "node:fs"
import { Clock, Effect } from "effect"
import { daemonLog, journalDir, journalFile } from "../config/home.js"
import { Journal } from "../journal/Journal.js"
import { JournalUnavailable } from "../journal/errors.js"
import { OWNER_ONLY } from "../journal/sqlite.js"
import { daemonEnv } from "../runtime/daemon-env.js"
import { type DaemonPid, runningDaemon } from "../runtime/lock.js"
import { platform } from "../runtime/platform/current.js"

/** Polls `check` every 50 ms until it answers, at most `ms`. */
export const pollUntil = <A>(check: () => A | undefined, ms: number) =>
  Effect.gen(function* () {
    const deadline = (yield* Clock.currentTimeMillis) + ms
    for (;;) {
      const value = check()
      if (value !== undefined) return value
      if ((yield* Clock.currentTimeMillis) >= deadline) return undefined
      yield* Effect.sleep(50)
    }
  })

/**
 * Makes sure a daemon supervises the home: the running one, or a new one in the background
 * (`orch daemon run`, its output in journal/daemon.log), once it holds the lock. Only with the
 * journal open: a journal that is not ours, or read-only, is reported by the opening, before a
 * log is begun or a daemon spawned to fail on it.
 */
export const ensureDaemon = (home: string) =>
  Effect.gen(function* () {
    yield* Journal
    const running = runningDaemon(journalDir(home))
    if (running !== undefined) return { ...running, started: false }
    const log = yield* Effect.try({
      try: () => {
        fs.mkdirSync(journalDir(home), { recursive: true, mode: OWNER_ONLY.dir })
        return fs.openSync(daemonLog(home), "a", OWNER_ONLY.file)
      },
      catch: (error) =>
        new JournalUnavailable({ file: journalFile(home), reason: `cannot write the daemon's log ${daemonLog(home)} (${(error as NodeJS.ErrnoException).code ?? String(error)})` })
    })
    const child = spawn(process.execPath, [process.argv[1]!, "daemon", "run", "--home", home], {
      cwd: home,
      // Its own process group (a console of its own, hidden, on Windows), so it outlives this command.
      ...platform.spawnOptions,
      stdio: ["ignore", log, log],
      env: { ...daemonEnv(process.env), NO_COLOR: "1" }
    })
    fs.closeSync(log)
    child.unref()
    let exited = false
    child.once("exit", () => (exited = true))
    // A daemon that refuses to start (a damaged journal) says why in its log and exits: no need to wait.
    const ready = yield* pollUntil(() => runningDaemon(journalDir(home)) ?? (exited ? null : undefined), 15_000)
    return ready === undefined || ready === null ? undefined : { ...ready, started: ready.pid === child.pid }
  })

/** Why a daemon did not start, as it said in its log ("error: ..."), with where to read the rest. */
export const whyNotStarted = (home: string) => {
  let said: string | undefined
  try {
    const text = fs.readFileSync(daemonLog(home), "utf8").slice(-8_192)
    said = text.split("\n").reverse().find((line) => line.startsWith("error: "))?.slice("error: ".length)
  } catch {
    // No log: the path alone is all there is to say.
  }
  return `the daemon did not start${said === undefined ? "" : `: ${said}`} (see ${daemonLog(home)})`
}

/**
 * Asks the daemon to stop (SIGTERM) and waits for it to go; its servers keep running. (On Windows
 * a signal from another process terminates it at once: its next start finds what it left, as
 * after a crash.)
 */
export const stopDaemon = (daemon: DaemonPid) =>
  Effect.gen(function* () {
    try {
      process.kill(daemon.pid, "SIGTERM")
    } catch {
      return true
    }
    return (yield* pollUntil(() => (platform.isAlive(daemon.pid, daemon.startTime) ? undefined : true), 15_000)) === true
  })
