import { Command, Options } from "@effect/cli"
import { Clock, Console, Effect, Option } from "effect"
import { journalDir, journalFile } from "../config/home.js"
import { currentState } from "../journal/projection.js"
import { runDaemon } from "../runtime/daemon.js"
import { tuneDaemonHeap } from "../runtime/daemon-env.js"
import { runningDaemon } from "../runtime/lock.js"
import { autostartCommand, autostartInDaemon } from "./autostart.js"
import { daemonLog, ensureDaemon, stopDaemon, whyNotStarted } from "./daemon-process.js"
import { ExitCode } from "./errors.js"
import { bad, ok } from "./findings.js"
import { withJournal } from "./home-journal.js"
import { stopped } from "./lifecycle-options.js"
import { homeFrom, homeOption, jsonOption } from "./options.js"
import { paint, printJson } from "./output.js"
import { by, request, watch } from "./requests.js"
import { formatAge } from "./time.js"
import { VERSION } from "./version.js"

const autostartOption = Options.boolean("autostart").pipe(
  Options.withDescription("Also ask for the instances of autostart.json to start, in their order (what a service manager runs at boot; default: off)")
)

const run = Command.make("run", { home: homeOption, autostart: autostartOption }, (options) => {
  const home = homeFrom(options.home)
  const daemon = Effect.sync(tuneDaemonHeap).pipe(
    Effect.zipRight(options.autostart ? Effect.fork(autostartInDaemon(home)) : Effect.void),
    Effect.zipRight(runDaemon(home, VERSION))
  )
  return withJournal(home, "write")(daemon).pipe(
    // Another daemon holds the home: that is the state asked for, so exit 0.
    Effect.catchTag("AlreadyRunning", (error) => Console.log(`already running (pid ${error.pid ?? "unknown"})`)),
    // It ends rather than act on: what it did would be recorded where no one reads, and its view of
    // the servers is not what the journal on disk says. Its servers are left running, not stopped
    // (a stop could not be recorded either): the next daemon folds the journal on disk, finds them
    // by their markers and adopts or stops each as that journal asks. Non-zero, so that a service
    // manager starts that next daemon.
    Effect.catchTag("JournalReplaced", (error) =>
      Console.error(
        `error: the daemon stopped: its journal ${error.file} changed on disk while in use (${error.what}). ` +
          "It recorded nothing more and left its servers running; the next daemon adopts them or stops them as the journal on disk asks.\n" +
          "hint: `orch daemon start` (or `orch up`/`orch down`) starts it; never delete or move a journal's -wal and -shm files while orch runs"
      ).pipe(Effect.zipRight(new ExitCode({ code: 1 })))
    )
  )
}).pipe(Command.withDescription("Run the daemon in the foreground (what a service manager runs)"))

const start = Command.make("start", { home: homeOption }, (options) =>
  Effect.gen(function* () {
    const home = homeFrom(options.home)
    const daemon = yield* withJournal(home, "write")(ensureDaemon(home))
    if (daemon === undefined) {
      yield* bad(whyNotStarted(home))
      return yield* new ExitCode({ code: 1 })
    }
    yield* daemon.started ? ok(`daemon started (pid ${daemon.pid}), log in ${daemonLog(home)}`) : Console.log(`already running (pid ${daemon.pid})`)
  })
).pipe(Command.withDescription("Start the daemon in the background; returns once it is ready"))

const stop = Command.make(
  "stop",
  { all: Options.boolean("all").pipe(Options.withDescription("Stop every server first (default: leave them running for the next daemon to adopt)")), home: homeOption },
  (options) =>
    Effect.gen(function* () {
      const home = homeFrom(options.home)
      const daemon = runningDaemon(journalDir(home))
      if (daemon === undefined) return yield* Console.log("No daemon is running.")
      const left = yield* withJournal(home, "write")(
        Effect.gen(function* () {
          const state = yield* currentState
          const running = Object.values(state.instances).filter((instance) => instance.pid !== null || instance.desired === "up").map((instance) => instance.name)
          if (!options.all || running.length === 0) return running.filter((name) => state.instances[name]?.pid !== null)
          const after = yield* request(home, running.map((instance) => ({ instance, event: { _tag: "StopRequested", by } })), true)
          yield* watch(home, running, after, Option.some(120), stopped, true)
          return []
        })
      )
      if (!(yield* stopDaemon(daemon))) {
        yield* bad(`the daemon (pid ${daemon.pid}) did not stop within 15 s`)
        return yield* new ExitCode({ code: 1 })
      }
      yield* ok(`daemon stopped (pid ${daemon.pid})`)
      if (left.length > 0) yield* Console.log(paint.dim(`still running, for the next daemon to adopt: ${left.join(", ")}`))
    })
).pipe(Command.withDescription("Stop the daemon; its servers keep running unless --all"))

const status = Command.make("status", { home: homeOption, json: jsonOption }, (options) =>
  Effect.gen(function* () {
    const home = homeFrom(options.home)
    const daemon = runningDaemon(journalDir(home))
    const now = yield* Clock.currentTimeMillis
    const state = yield* withJournal(home, "read")(currentState).pipe(Effect.catchTag("NoJournal", () => Effect.succeed(undefined)))
    const supervised = Object.values(state?.instances ?? {}).filter((instance) => instance.pid !== null).map((instance) => ({ name: instance.name, pid: instance.pid, status: instance.status }))
    const startedAt = daemon !== undefined && state?.daemon?.pid === daemon.pid ? state.daemon.started_at : null
    if (options.json) {
      yield* printJson({ running: daemon !== undefined, pid: daemon?.pid ?? null, started_at: startedAt, journal: journalFile(home), log: daemonLog(home), supervised })
    } else if (daemon === undefined) {
      yield* Console.log(`not running (home ${home})`)
    } else {
      yield* ok(`running, pid ${daemon.pid}${startedAt === null ? "" : `, up ${formatAge(now - startedAt)}`}`)
      yield* Console.log(`journal:    ${journalFile(home)}\nlog:        ${daemonLog(home)}\nsupervises: ${supervised.length === 0 ? "nothing running" : supervised.map((s) => `${s.name} (pid ${s.pid}, ${s.status})`).join(", ")}`)
    }
    // As systemctl and LSB init scripts do: 3 means "not running".
    if (daemon === undefined) return yield* new ExitCode({ code: 3 })
  })
).pipe(Command.withDescription("Show whether the daemon runs: pid, uptime, journal, supervised servers (exit 3 if not running)"))

export const daemon = Command.make("daemon").pipe(
  Command.withDescription("Run, start, stop or inspect the supervising daemon"),
  Command.withSubcommands([run, start, stop, status, autostartCommand])
)
