import { Args, Command, Options } from "@effect/cli"
import { Clock, Console, Effect, Option } from "effect"
import { BadOption } from "../../app/errors.js"
import { healthAllJson, healthJson, withHistory } from "../../app/health.js"
import { withJournal } from "../../app/journal.js"
import { Journal } from "../../journal/Journal.js"
import { currentState } from "../../journal/projection.js"
import { ExitCode } from "../errors.js"
import { instanceName } from "../names.js"
import { integerOption, wholeNumber } from "../option-values.js"
import { homeFrom, homeOption, jsonOption } from "../options.js"
import { healthAllText, healthExitCode, healthText } from "../view/health.js"
import { printJson } from "../view/json.js"

export const health = Command.make(
  "health",
  {
    name: Args.text({ name: "name" }).pipe(Args.optional, Args.withDescription("One instance (or --all)")),
    all: Options.boolean("all").pipe(Options.withDescription("Every instance, as a table (default: off)")),
    last: integerOption("last", "the number of probes to show, for example --last 20").pipe(Options.withDefault(10), Options.withDescription("Probes to show for one instance, newest last (default: 10)")),
    home: homeOption,
    json: jsonOption
  },
  (options) =>
    Effect.gen(function* () {
      if (Option.isSome(options.name) === options.all) {
        return yield* new BadOption({ option: "NAME", problem: "name one instance, or pass --all", hint: "orch health qwen, or orch health --all" })
      }
      if (Option.isSome(options.name)) yield* instanceName(options.name.value)
      yield* wholeNumber("--last", options.last, { min: 0 }, "the number of probes to show, for example --last 20")
      const name = Option.getOrUndefined(options.name)
      // The state keeps the newest probes only; the journal has them all.
      const read = Effect.gen(function* () {
        const journal = yield* Journal
        const recent = name === undefined ? [] : yield* journal.readLast({ instance: name, types: ["HealthProbed"] }, options.last)
        return { state: yield* currentState, recent }
      })
      const found = yield* withJournal(homeFrom(options.home), "read")(read).pipe(Effect.catchTag("NoJournal", () => Effect.succeed(undefined)))
      const now = yield* Clock.currentTimeMillis
      if (name === undefined) {
        const all = healthAllJson(found?.state)
        yield* options.json ? printJson(all) : Console.log(healthAllText(all, now))
        if (healthExitCode(all) !== 0) return yield* new ExitCode({ code: 1 })
        return
      }
      const instance = withHistory(found?.state, name)
      if (instance === undefined) {
        return yield* new BadOption({ option: "NAME", problem: `no instance "${name}" has any history`, hint: "orch health --all lists them" })
      }
      const one = healthJson(instance, found?.recent ?? [])
      yield* options.json ? printJson(one) : Console.log(healthText(one, now))
      if (healthExitCode(one) !== 0) return yield* new ExitCode({ code: 1 })
    })
).pipe(Command.withDescription("Show health: state, since when, probes, failures, next restart; exit 0 only if all healthy"))
