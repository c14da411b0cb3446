import { Args, Command, Options } from "@effect/cli"
import { Clock, Console, Effect, Option } from "effect"
import { BadOption } from "../../app/errors.js"
import { withJournal } from "../../app/journal.js"
import type { HealthAllJson, HealthJson } from "../../app/shapes.js"
import type { InstanceState } from "../../domain/instances.js"
import { Journal } from "../../journal/Journal.js"
import { currentState } from "../../journal/projection.js"
import { ExitCode } from "../errors.js"
import { instanceName } from "../names.js"
import { integerOption, wholeNumber } from "../option-values.js"
import { homeFrom, homeOption, jsonOption } from "../options.js"
import { printJson } from "../view/json.js"
import { paint } from "../view/palette.js"
import { renderTable } from "../view/table.js"
import { formatAge, formatTime } from "../view/time.js"

const colour = (health: InstanceState["health"]) =>
  health === "healthy" ? paint.green : health === "loading" ? paint.yellow : health === "unknown" ? paint.dim : paint.red

const lastProbe = (instance: InstanceState, now: number) => {
  const probe = instance.probes.at(-1)
  return probe === undefined ? "-" : `${probe.result}${probe.status === null ? "" : ` ${probe.status}`}, ${probe.latency_ms} ms, ${formatAge(now - probe.at)} ago`
}

const nextRestart = (instance: InstanceState) =>
  instance.next_restart === null ? "-" : `#${instance.next_restart.attempt} at ${formatTime(instance.next_restart.due_at)} (${instance.next_restart.reason})`

/** What `--json` shows of an instance, but its probes: `--all` gives the fold's, one instance the journal's. */
const json = (instance: InstanceState): Omit<HealthJson, "probes"> => ({
  name: instance.name,
  health: instance.health,
  since: instance.health_since,
  status: instance.status,
  consecutive_failures: instance.consecutive_failures,
  attempts: instance.attempts,
  next_restart: instance.next_restart
})

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
      const state = found?.state
      const now = yield* Clock.currentTimeMillis
      const instances = Object.values(state?.instances ?? {}).filter((instance) => options.all || instance.name === name)
      if (Option.isSome(options.name) && instances.length === 0) {
        return yield* new BadOption({ option: "NAME", problem: `no instance "${options.name.value}" has any history`, hint: "orch health --all lists them" })
      }
      const recent = (found?.recent ?? []).flatMap(({ at, event }) => (event._tag === "HealthProbed" ? [{ at, ...event }] : []))
      if (options.json) {
        yield* printJson(options.all
          ? instances.map((instance) => ({ ...json(instance), probes: instance.probes })) satisfies HealthAllJson
          : { ...json(instances[0]!), probes: recent } satisfies HealthJson)
      } else if (options.all) {
        yield* Console.log(instances.length === 0 ? paint.dim("No instances have any history yet.") : renderTable(
          [{ header: "instance" }, { header: "health" }, { header: "since" }, { header: "last probe" }, { header: "failures" }, { header: "next restart", wrap: true }],
          instances.sort((a, b) => a.name.localeCompare(b.name)).map((instance) => [
            instance.name,
            colour(instance.health)(instance.health),
            instance.health_since === null ? "-" : `${formatAge(now - instance.health_since)} ago`,
            lastProbe(instance, now),
            String(instance.consecutive_failures),
            nextRestart(instance)
          ])
        ))
      } else {
        const instance = instances[0]!
        yield* Console.log(`${instance.name}: ${colour(instance.health)(instance.health)}${instance.health_since === null ? "" : ` for ${formatAge(now - instance.health_since)}`} (status ${instance.status})`)
        yield* Console.log(`failures in a row: ${instance.consecutive_failures} of ${instance.retries}; restarts in a row: ${instance.attempts} of ${instance.restart_policy.max_retries}; next restart: ${nextRestart(instance)}`)
        if (recent.length > 0) {
          yield* Console.log(renderTable(
            [{ header: "time" }, { header: "result" }, { header: "status" }, { header: "latency" }, { header: "path" }, { header: "reason", wrap: true }],
            recent.map((probe) => [formatTime(probe.at), colour(probe.result === "ok" ? "healthy" : probe.result === "loading" ? "loading" : "error")(probe.result), probe.status === null ? "-" : String(probe.status), `${probe.latency_ms} ms`, probe.path, probe.reason ?? ""])
          ))
        }
      }
      if (instances.some((instance) => instance.health !== "healthy") || instances.length === 0) return yield* new ExitCode({ code: 1 })
    })
).pipe(Command.withDescription("Show health: state, since when, probes, failures, next restart; exit 0 only if all healthy"))
