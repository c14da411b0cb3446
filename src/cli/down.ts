import { Command } from "@effect/cli"
import { Console, Effect } from "effect"
import { currentState } from "../journal/projection.js"
import { withJournal } from "./home-journal.js"
import { allOption, namesArg, noWaitOption, stopped, timeoutOption } from "./lifecycle-options.js"
import { homeFrom, homeOption } from "./options.js"
import { by, chooseNames, request, watch } from "./requests.js"

export const down = Command.make(
  "down",
  { names: namesArg, all: allOption, noWait: noWaitOption, timeout: timeoutOption, home: homeOption },
  (options) =>
    Effect.gen(function* () {
      const home = homeFrom(options.home)
      yield* withJournal(home, "write")(
        Effect.gen(function* () {
          const names = yield* chooseNames(home, options.names, options.all, yield* currentState)
          if (names.length === 0) return yield* Console.log("Nothing to stop.")
          const after = yield* request(home, names.map((instance) => ({ instance, event: { _tag: "StopRequested", by } })), true)
          if (options.noWait) return yield* Console.log(`requested: ${names.join(", ")}`)
          yield* watch(home, names, after, options.timeout * 1000, stopped, false)
        })
      )
    })
).pipe(Command.withDescription("Stop instances (SIGTERM, then SIGKILL after stop_timeout) and wait until they are stopped"))
