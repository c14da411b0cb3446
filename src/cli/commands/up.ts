import { Command } from "@effect/cli"
import { Clock, Console, Effect, Either } from "effect"
import { withJournal } from "../../app/journal.js"
import { askedEvents, checkAllForUp } from "../../app/requests.js"
import { discoverInstances } from "../../config/discover.js"
import { healthySince } from "../../domain/outcome.js"
import { currentState } from "../../journal/projection.js"
import { ExitCode } from "../errors.js"
import { homeFrom } from "../options.js"
import { nothingToStart, requestedText } from "../view/requested.js"
import { askedOfDaemon, by, checkRequest, findingsFor, followAsked, lifecycleOptions, requested, watch } from "./lifecycle.js"

export const up = Command.make(
  "up",
  lifecycleOptions,
  (options) =>
    Effect.gen(function* () {
      const home = homeFrom(options.home)
      const given = yield* checkRequest(options)
      const askedAt = yield* Clock.currentTimeMillis
      const asked = yield* askedOfDaemon(home, "up", given, options.timeout)
      if (asked !== undefined) return yield* followAsked(home, asked, options, healthySince(askedAt, false), nothingToStart(home))
      const names = given ?? (yield* discoverInstances(home)).names
      // Nothing to start: no journal begun, no daemon started to supervise nothing.
      if (names.length === 0) return yield* Console.log(nothingToStart(home))
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
          if (options.noWait) return yield* Console.log(requestedText(names))
          yield* watch(home, names, after, options.timeout, healthySince(requestedAt, false), false)
        })
      )
    })
).pipe(Command.withDescription("Start instances (check configs, record the request, start the daemon if needed, wait)"))
