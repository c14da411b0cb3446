import { Command, Options } from "@effect/cli"
import { Console, Effect } from "effect"
import { withJournal } from "../../../app/journal.js"
import { tuneDaemonHeap } from "../../../runtime/daemon-env.js"
import { ListenerLive } from "../../../http/listener.js"
import { runDaemon } from "../../../runtime/daemon.js"
import { ExitCode } from "../../errors.js"
import { homeFrom, homeOption } from "../../options.js"
import { VERSION } from "../../version.js"
import { autostartInDaemon } from "./autostart.js"

const autostartOption = Options.boolean("autostart").pipe(
  Options.withDescription("Also ask for the instances of autostart.json to start, in their order (what a service manager runs at boot; default: off)")
)

export const run = Command.make("run", { home: homeOption, autostart: autostartOption }, (options) => {
  const home = homeFrom(options.home)
  const daemon = Effect.sync(tuneDaemonHeap).pipe(
    Effect.zipRight(options.autostart ? Effect.fork(autostartInDaemon(home)) : Effect.void),
    Effect.zipRight(runDaemon(home, VERSION, ListenerLive))
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

