import { Args, Command } from "@effect/cli"
import { Clock, Console, Effect, Either } from "effect"
import { BadOption } from "../../app/errors.js"
import { withJournal } from "../../app/journal.js"
import { readInstanceConfig } from "../../config/discover.js"
import { currentState } from "../../journal/projection.js"
import { instanceName } from "../names.js"
import { homeFrom, homeOption, jsonOption } from "../options.js"
import { describeOf } from "../../app/describe.js"
import { describeText } from "../view/describe.js"
import { printJson } from "../view/json.js"

export const describe = Command.make(
  "describe",
  { name: Args.text({ name: "name" }).pipe(Args.withDescription("The instance")), home: homeOption, json: jsonOption },
  (options) =>
    Effect.gen(function* () {
      yield* instanceName(options.name)
      const home = homeFrom(options.home)
      const state = yield* withJournal(home, "read")(currentState).pipe(Effect.catchTag("NoJournal", () => Effect.succeed(undefined)))
      const instance = state?.instances[options.name]
      const onDisk = Either.getOrUndefined(yield* readInstanceConfig(home, options.name))
      if (instance === undefined && onDisk === undefined) {
        return yield* new BadOption({ option: "NAME", problem: `no instance "${options.name}" in ${home}`, hint: "orch ps lists them" })
      }
      const now = yield* Clock.currentTimeMillis
      const described = describeOf(home, options.name, instance, onDisk, now)
      yield* options.json ? printJson(described) : Console.log(describeText(described, now))
    })
).pipe(Command.withDescription("Show one instance: status, health, pid and uptime, restarts, argv, env keys, logs, the config in effect (secrets hidden), the last probes, restarts and requests served"))
