import { Command } from "@effect/cli"
import { Clock, Console, Effect } from "effect"
import { currentState } from "../journal/projection.js"
import { withJournal } from "./home-journal.js"
import { allOption, namesArg, noWaitOption, startedSince, timeoutOption } from "./lifecycle-options.js"
import { homeFrom, homeOption } from "./options.js"
import { by, chooseNames, request, watch } from "./requests.js"

export const restart = Command.make(
  "restart",
  { names: namesArg, all: allOption, noWait: noWaitOption, timeout: timeoutOption, home: homeOption },
  (options) =>
    Effect.gen(function* () {
      const home = homeFrom(options.home)
      yield* withJournal(home, "write")(
        Effect.gen(function* () {
          const names = yield* chooseNames(home, options.names, options.all, yield* currentState)
          const requestedAt = yield* Clock.currentTimeMillis
          const after = yield* request(home, names.map((instance) => ({ instance, event: { _tag: "RestartRequested", by } })), false)
          if (options.noWait) return yield* Console.log(`requested: ${names.join(", ")}`)
          yield* watch(home, names, after, options.timeout * 1000, startedSince(requestedAt, true), false)
        })
      )
    })
).pipe(Command.withDescription("Stop and start instances with the config they were started with, and wait"))
