import { Command, Options } from "@effect/cli"
import { Clock, Effect, Either } from "effect"
import { BadOption } from "../../../app/errors.js"
import { withJournal } from "../../../app/journal.js"
import { formatDuration, parseDuration } from "../../../domain/duration.js"
import { Journal } from "../../../journal/Journal.js"
import { replay } from "../../../journal/projection.js"
import { homeFrom, homeOption, jsonOption } from "../../options.js"
import { ok } from "../../view/findings.js"
import { printJson } from "../../view/json.js"

export const journalCompact = Command.make(
  "compact",
  {
    olderThan: Options.text("probes-older-than").pipe(Options.withPseudoName("AGE"), Options.withDefault("7d"), Options.withDescription("Delete HealthProbed and RequestServed events older than this (default: 7d)")),
    home: homeOption,
    json: jsonOption
  },
  (options) =>
    Effect.gen(function* () {
      const age = yield* Either.mapLeft(parseDuration(options.olderThan), (problem) => new BadOption({ option: "--probes-older-than", problem, hint: "for example 7d, 48h or 30m" }))
      const now = yield* Clock.currentTimeMillis
      // The cutoff is recorded in a JournalCompacted event, whose times start at 1970.
      if (age > now) return yield* new BadOption({ option: "--probes-older-than", problem: `"${options.olderThan}" reaches back before 1970`, hint: "for example 7d, 48h or 30m" })
      const result = yield* withJournal(homeFrom(options.home), "read")(
        Effect.flatMap(Journal, (journal) => Effect.flatMap(replay(), (state) => journal.compact(now - age, state)))
      )
      if (options.json) return yield* printJson({ ...result, older_than: now - age })
      const probes = result.deleted - result.deleted_requests
      yield* ok(`deleted ${probes} HealthProbed and ${result.deleted_requests} RequestServed events older than ${formatDuration(age)}; replays now start from the snapshot at #${result.base_seq}`)
    })
).pipe(Command.withDescription("Delete old HealthProbed and RequestServed events behind a fresh snapshot; lifecycle events are kept"))
