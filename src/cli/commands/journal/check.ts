import { Command } from "@effect/cli"
import { Console, Effect, Either, Stream } from "effect"
import { withJournal } from "../../../app/journal.js"
import { badEventText } from "../../../app/messages.js"
import { Journal } from "../../../journal/Journal.js"
import { verify } from "../../../journal/projection.js"
import { ExitCode } from "../../errors.js"
import { homeFrom, homeOption, jsonOption } from "../../options.js"
import { bad, ok } from "../../view/findings.js"
import { printJson } from "../../view/json.js"

export const journalCheck = Command.make("check", { home: homeOption, json: jsonOption }, (options) =>
  withJournal(homeFrom(options.home), "read")(
    Effect.gen(function* () {
      const journal = yield* Journal
      const integrity = yield* journal.integrityCheck
      const decoded = yield* Stream.runCount(journal.read()).pipe(
        Effect.map(Either.right),
        Effect.catchTag("BadEvent", (error) => Effect.succeed(Either.left(error)))
      )
      const verified = yield* verify.pipe(
        Effect.map(Either.right),
        Effect.catchTags({
          BadEvent: () => Effect.succeed(Either.left("not checked: an event does not decode")),
          Compacted: (error) => Effect.succeed(Either.left(`no snapshot at the compaction base #${error.base}`))
        })
      )
      const checks = [
        { check: "integrity", ok: integrity.length === 1 && integrity[0] === "ok", detail: integrity.join("; ") },
        decoded._tag === "Right"
          ? { check: "events", ok: true, detail: `${decoded.right} event${decoded.right === 1 ? "" : "s"} decode` }
          : { check: "events", ok: false, detail: badEventText(decoded.left) },
        verified._tag === "Left"
          ? { check: "snapshots", ok: false, detail: verified.left }
          : verified.right.differences.length === 0
            ? { check: "snapshots", ok: true, detail: `snapshot at #${verified.right.snapshotSeq} + tail = full fold` }
            : { check: "snapshots", ok: false, detail: `snapshot + tail differs from the full fold at ${verified.right.differences.map((d) => d.path).join(", ")}` }
      ]
      const healthy = checks.every((check) => check.ok)
      if (options.json) yield* printJson({ file: journal.file, ok: healthy, checks })
      else {
        yield* Console.log(journal.file)
        for (const check of checks) yield* (check.ok ? ok : bad)(`${check.check}: ${check.detail}`)
      }
      if (!healthy) return yield* new ExitCode({ code: 1 })
    })
  )
).pipe(Command.withDescription("Check the journal: SQLite integrity, every event decodes, snapshots agree"))
