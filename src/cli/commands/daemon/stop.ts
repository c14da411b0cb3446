import { Command, Options } from "@effect/cli"
import { Console, Effect, Option } from "effect"
import { stopDaemon } from "../../../app/daemon.js"
import { withJournal } from "../../../app/journal.js"
import { journalDir } from "../../../config/home.js"
import { stopped } from "../../../domain/outcome.js"
import { currentState } from "../../../journal/projection.js"
import { runningDaemon } from "../../../runtime/lock.js"
import { ExitCode } from "../../errors.js"
import { homeFrom, homeOption } from "../../options.js"
import { bad, ok } from "../../view/findings.js"
import { paint } from "../../view/palette.js"
import { by, requested, watch } from "../lifecycle.js"

export const stop = Command.make(
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
          const after = yield* requested(home, running.map((instance) => ({ instance, event: { _tag: "StopRequested", by } })), true)
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

