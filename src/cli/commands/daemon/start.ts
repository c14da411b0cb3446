import { Command } from "@effect/cli"
import { Console, Effect } from "effect"
import { ensureDaemon, whyNotStarted } from "../../../app/daemon.js"
import { withJournal } from "../../../app/journal.js"
import { daemonLog } from "../../../config/home.js"
import { ExitCode } from "../../errors.js"
import { homeFrom, homeOption } from "../../options.js"
import { bad, ok } from "../../view/findings.js"

export const start = Command.make("start", { home: homeOption }, (options) =>
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

