import * as fs from "node:fs"
import { Clock, Console, Effect, type Option } from "effect"
import { journalFile } from "../config/home.js"
import type { InstanceState } from "../domain/instances.js"
import { currentState } from "../journal/projection.js"
import { withJournal } from "./home-journal.js"
import { homeFrom } from "./options.js"
import { type Outcome, by, checkRequest, request, watch } from "./requests.js"

export interface RequestOptions {
  readonly names: ReadonlyArray<string>
  readonly all: boolean
  readonly noWait: boolean
  readonly timeout: Option.Option<number>
  readonly home: Option.Option<string>
}

/** `down` and `restart`: record one request per instance, then follow the journal until done. */
export const requestAndWait = (
  options: RequestOptions,
  tag: "StopRequested" | "RestartRequested",
  outcome: (requestedAt: number) => (instance: InstanceState, now: number) => Outcome
) =>
  Effect.gen(function* () {
    const given = yield* checkRequest(options)
    const home = homeFrom(options.home)
    // --all where nothing has happened yet: nothing to stop, and no journal begun to say so.
    if (given === undefined && !fs.existsSync(journalFile(home))) return yield* Console.log("No instances.")
    yield* withJournal(home, "write")(
      Effect.gen(function* () {
        const names = given ?? Object.keys((yield* currentState).instances).sort()
        if (names.length === 0) return yield* Console.log("No instances.")
        const requestedAt = yield* Clock.currentTimeMillis
        const after = yield* request(home, names.map((instance) => ({ instance, event: { _tag: tag, by } })), tag === "StopRequested")
        if (options.noWait) return yield* Console.log(`requested: ${names.join(", ")}`)
        yield* watch(home, names, after, options.timeout, outcome(requestedAt), false)
      })
    )
  })
