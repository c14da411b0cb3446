import { Command, Options } from "@effect/cli"
import { Clock, Console, Effect, Either, Option } from "effect"
import { BadOption } from "../../app/errors.js"
import { withJournal } from "../../app/journal.js"
import { REDACTED, redactState } from "../../domain/redact.js"
import { Journal } from "../../journal/Journal.js"
import { type Difference, replay as replayJournal, verify } from "../../journal/projection.js"
import { ExitCode } from "../errors.js"
import { homeFrom, homeOption, jsonOption } from "../options.js"
import { parseUntilArg } from "../time-args.js"
import { ok, bad } from "../view/findings.js"
import { instancesTable } from "../view/instances.js"
import { printJson } from "../view/json.js"
import { paint } from "../view/palette.js"
import { renderTable } from "../view/table.js"

export const replay = Command.make(
  "replay",
  {
    until: Options.text("until").pipe(Options.withPseudoName("SEQ|TIME"), Options.optional, Options.withDescription("Stop at this seq, or at a time (10m ago, 2026-11-24T09:00) (default: the end)")),
    verify: Options.boolean("verify").pipe(Options.withDescription("Also prove that newest snapshot + tail equals the full fold; exit 1 and a diff if not (default: off)")),
    writeSnapshot: Options.boolean("write-snapshot").pipe(Options.withDescription("Store the replayed state as a snapshot (default: off)")),
    home: homeOption,
    json: jsonOption
  },
  (options) =>
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const until = Option.isSome(options.until)
        ? yield* Either.mapLeft(parseUntilArg(options.until.value, now), (problem) => new BadOption({ option: "--until", problem, hint: "a seq such as 1234, or a time such as 10m or 2026-11-24T09:00" }))
        : undefined
      // A difference inside a config may be a secret's value: its path says where, not what.
      const shown = (differences: ReadonlyArray<Difference>) =>
        differences.map((d) => (/\.(decoded_)?config(\.|$)/.test(d.path) ? { ...d, full: REDACTED, fast: REDACTED } : d))
      const run = Effect.gen(function* () {
        const journal = yield* Journal
        const state = yield* replayJournal(until)
        const checked = options.verify ? Option.some(yield* verify) : Option.none()
        if (options.writeSnapshot) yield* journal.writeSnapshot(state)
        if (options.json) {
          yield* printJson({
            ...redactState(state),
            ...Option.match(checked, { onNone: () => ({}), onSome: (result) => ({ verified: { snapshot_seq: result.snapshotSeq, differences: shown(result.differences) } }) })
          })
        } else {
          yield* Console.log(`Replayed the journal to event #${state.seq}${state.base_seq > 0 ? ` (from the compaction snapshot at #${state.base_seq})` : " from event #1"}:`)
          yield* Console.log(Object.keys(state.instances).length === 0 ? paint.dim("(no instances)") : instancesTable(state, now))
          if (options.writeSnapshot) yield* ok(`snapshot written at #${state.seq}`)
        }
        if (Option.isSome(checked)) {
          const result = checked.value
          if (!options.json) {
            if (result.differences.length === 0) yield* ok(`verified: the snapshot at #${result.snapshotSeq} plus the events after it equals the full fold`)
            else {
              yield* bad(`the snapshot at #${result.snapshotSeq} plus its tail differs from the full fold:`)
              yield* Console.log(renderTable([{ header: "path" }, { header: "full fold", wrap: true }, { header: "snapshot + tail", wrap: true }],
                shown(result.differences).map((d) => [d.path, JSON.stringify(d.full) ?? "undefined", JSON.stringify(d.fast) ?? "undefined"])))
            }
          }
          if (result.differences.length > 0) return yield* new ExitCode({ code: 1 })
        }
      })
      yield* withJournal(homeFrom(options.home), "read")(run).pipe(
        Effect.catchTag("NoJournal", (error) =>
          options.json ? printJson({ seq: 0, base_seq: 0, instances: {}, daemon: null }) : Console.log(paint.dim(`Nothing to replay: there is no journal at ${error.file}.`))
        )
      )
    })
).pipe(Command.withDescription("Rebuild every instance's state from event 1 (or up to --until) and show it"))
