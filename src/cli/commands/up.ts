import { Command } from "@effect/cli"
import { Clock, Console, Effect, Either } from "effect"
import { withJournal } from "../../app/journal.js"
import { askedEvents, checkAllForUp } from "../../app/requests.js"
import { discoverInstances } from "../../config/discover.js"
import { instancesDir } from "../../config/home.js"
import { healthySince } from "../../domain/outcome.js"
import { currentState } from "../../journal/projection.js"
import { ExitCode } from "../errors.js"
import { homeFrom } from "../options.js"
import { by, checkRequest, findingsFor, lifecycleOptions, requested, watch } from "./lifecycle.js"

export const up = Command.make(
  "up",
  lifecycleOptions,
  (options) =>
    Effect.gen(function* () {
      const home = homeFrom(options.home)
      const names = (yield* checkRequest(options)) ?? (yield* discoverInstances(home)).names
      // Nothing to start: no journal begun, no daemon started to supervise nothing.
      if (names.length === 0) return yield* Console.log(`No instances under ${instancesDir(home)}. Create one with \`orch init NAME --model PATH\`.`)
      // Every config is checked before anything is recorded: a bad one starts nothing.
      const checked = yield* checkAllForUp(home, names)
      if (Either.isLeft(checked)) {
        yield* findingsFor(checked.left)
        return yield* new ExitCode({ code: 1 })
      }
      yield* withJournal(home, "write")(
        Effect.gen(function* () {
          const state = yield* currentState
          const requestedAt = yield* Clock.currentTimeMillis
          const events = askedEvents(state, { _tag: "Up", checked: checked.right }, by, requestedAt)
          const after = yield* requested(home, events, false)
          if (options.noWait) return yield* Console.log(`requested: ${names.join(", ")}`)
          yield* watch(home, names, after, options.timeout, healthySince(requestedAt, false), false)
        })
      )
    })
).pipe(Command.withDescription("Start instances (check configs, record the request, start the daemon if needed, wait)"))
