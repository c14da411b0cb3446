import { Args, Command, Options } from "@effect/cli"
import { Clock, Console, Effect, Either, Option } from "effect"
import { BadOption } from "../../app/errors.js"
import { withJournal } from "../../app/journal.js"
import { readInstanceConfig } from "../../config/discover.js"
import { logFiles } from "../../config/home.js"
import { offsetSince } from "../../domain/log-marks.js"
import { Journal } from "../../journal/Journal.js"
import { marksOf, sizeOf } from "../../runtime/log-rotation.js"
import { followFrom, readRange, readText, startOfLastLines } from "../../app/log-file.js"
import { instanceName } from "../names.js"
import { integerOption, wholeNumber } from "../option-values.js"
import { homeFrom, homeOption } from "../options.js"
import { parseTimeArg } from "../time-args.js"

/** How often --follow looks at the file: a person reading does not notice 250 ms. */
export const FOLLOW_POLL_MS = 250

const write = (bytes: Buffer) => Effect.sync(() => void (bytes.length > 0 && process.stdout.write(bytes)))

export const logs = Command.make(
  "logs",
  {
    name: Args.text({ name: "name" }).pipe(Args.withDescription("The instance")),
    tail: integerOption("tail", "the number of lines, for example --tail 50 (or -n 50)").pipe(Options.withAlias("n"), Options.optional, Options.withDescription("Only the last N lines (default: all)")),
    follow: Options.boolean("follow").pipe(Options.withAlias("f"), Options.withDescription("Keep printing what the server writes, across rotations, until Ctrl-C (default: off)")),
    since: Options.text("since").pipe(
      Options.withPseudoName("10m|TIME"),
      Options.optional,
      Options.withDescription("Only what was written since that long ago, or since a time (2026-11-24T09:00); to within 5 s, as logs carry no times of their own")
    ),
    stderr: Options.boolean("stderr").pipe(
      Options.withDescription("Show stderr instead of stdout (default: stdout). llama-server writes nearly all its log to stderr: loading, requests, errors")
    ),
    home: homeOption
  },
  (options) =>
    Effect.gen(function* () {
      yield* instanceName(options.name)
      if (Option.isSome(options.tail)) yield* wholeNumber("--tail", options.tail.value, { min: 0 }, "the number of lines, for example --tail 50 (or -n 50)")
      const since = Option.isNone(options.since) ? undefined : parseTimeArg(options.since.value, yield* Clock.currentTimeMillis)
      if (since !== undefined && Either.isLeft(since)) return yield* new BadOption({ option: "--since", problem: since.left, hint: "--since 10m, or --since 2026-11-24T09:00" })
      const home = homeFrom(options.home)
      const onDisk = Either.isRight(yield* readInstanceConfig(home, options.name))
      const known = onDisk || (yield* withJournal(home, "read")(Effect.flatMap(Journal, (journal) => journal.readLast({ instance: options.name }, 1))).pipe(
        Effect.map((found) => found.length > 0),
        Effect.catchTag("NoJournal", () => Effect.succeed(false))
      ))
      if (!known) return yield* new BadOption({ option: "NAME", problem: `no instance "${options.name}" in ${home}`, hint: "orch ps lists them" })
      const file = logFiles(home, options.name)[options.stderr ? "stderr" : "stdout"]
      const size = sizeOf(file)
      if (size === undefined && !options.follow) return yield* Console.error(`${options.name} has written nothing yet (${file})`)
      const tailStart = size === undefined ? 0 : startOfLastLines(file, size, Option.getOrUndefined(options.tail))
      const sinceStart = since === undefined ? 0 : offsetSince(readText(marksOf(file)), since.right)
      const from = Math.min(size ?? 0, Math.max(tailStart, sinceStart))
      yield* write(readRange(file, from, size ?? 0))
      if (!options.follow) return
      const follower = followFrom(file, size ?? 0)
      yield* Effect.forever(Effect.zipRight(Effect.sleep(FOLLOW_POLL_MS), Effect.suspend(() => write(follower.next()))))
    })
).pipe(Command.withDescription("Print an instance's log (stdout; --stderr for llama-server's own log); --follow keeps printing"))
