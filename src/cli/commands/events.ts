import { Command, Options } from "@effect/cli"
import { Chunk, Clock, Console, Effect, Either, Option, Stream } from "effect"
import { BadOption } from "../../app/errors.js"
import { withJournal } from "../../app/journal.js"
import { namedEventTypes } from "../../domain/event-types.js"
import { EVENT_TYPES, type Envelope } from "../../domain/events.js"
import { Journal, type ReadFilter } from "../../journal/Journal.js"
import { instanceName } from "../names.js"
import { integerOption, wholeNumber } from "../option-values.js"
import { homeFrom, homeOption, jsonOption } from "../options.js"
import { parseTimeArg } from "../time-args.js"
import { eventJson } from "../../app/json.js"
import { eventLine } from "../view/events.js"
import { paint } from "../view/palette.js"

const parseTypes = (text: string) =>
  Either.match(namedEventTypes(text), {
    onLeft: ({ type, hint }) => Either.left(new BadOption({ option: "--type", problem: `"${type}" is not an event type`, hint })),
    // An empty --type (an unset shell variable, most often) would quietly match no event at all.
    onRight: (types) =>
      types.length === 0
        ? Either.left(new BadOption({ option: "--type", problem: `names no event type (got "${text}")`, hint: `one or more of ${EVENT_TYPES.join(", ")}, separated by commas` }))
        : Either.right(types)
  })

const filterFrom = (options: { readonly instance: Option.Option<string>; readonly type: Option.Option<string>; readonly since: Option.Option<string> }) =>
  Effect.gen(function* () {
    if (Option.isSome(options.instance)) yield* instanceName(options.instance.value)
    const now = yield* Clock.currentTimeMillis
    const types = Option.isSome(options.type) ? yield* parseTypes(options.type.value) : undefined
    const since = Option.isSome(options.since)
      ? yield* Either.mapLeft(parseTimeArg(options.since.value, now), (problem) => new BadOption({ option: "--since", problem, hint: "for example --since 10m or --since 2026-11-24T09:00" }))
      : undefined
    const filter: ReadFilter = {
      ...(Option.isSome(options.instance) ? { instance: options.instance.value } : {}),
      ...(types === undefined ? {} : { types }),
      ...(since === undefined ? {} : { since })
    }
    return filter
  })

export const events = Command.make(
  "events",
  {
    follow: Options.boolean("follow").pipe(Options.withAlias("f"), Options.withDescription("Keep printing new events from any writer until Ctrl-C (default: off)")),
    instance: Options.text("instance").pipe(Options.withPseudoName("NAME"), Options.optional, Options.withDescription("Only this instance's events")),
    type: Options.text("type").pipe(Options.withPseudoName("TYPE[,TYPE]"), Options.optional, Options.withDescription(`Only these event types: ${EVENT_TYPES.join(", ")}`)),
    since: Options.text("since").pipe(Options.withPseudoName("10m|TIME"), Options.optional, Options.withDescription("Only events since that long ago, or since a time (2026-11-24T09:00)")),
    limit: integerOption("limit", "the number of newest events, for example --limit 20").pipe( Options.optional, Options.withDescription("Only the newest N events (default: all)")),
    home: homeOption,
    json: jsonOption
  },
  (options) =>
    Effect.gen(function* () {
      const filter = yield* filterFrom(options)
      if (Option.isSome(options.limit)) yield* wholeNumber("--limit", options.limit.value, { min: 0 }, "the number of newest events, for example --limit 20")
      const format = options.json ? eventJson : eventLine
      const print = (chunk: Chunk.Chunk<Envelope>) => (Chunk.isEmpty(chunk) ? Effect.void : Console.log(Chunk.toReadonlyArray(chunk).map(format).join("\n")))
      const home = homeFrom(options.home)
      const show = Effect.gen(function* () {
        const journal = yield* Journal
        let after = 0
        if (Option.isSome(options.limit)) {
          const newest = yield* journal.readLast(filter, options.limit.value)
          yield* print(Chunk.unsafeFromArray([...newest]))
          after = newest.at(-1)?.seq ?? (yield* journal.lastSeq)
        } else {
          yield* Stream.runForEachChunk(journal.read(filter), (chunk) => {
            after = Chunk.last(chunk).pipe(Option.map((envelope) => envelope.seq), Option.getOrElse(() => after))
            return print(chunk)
          })
          after = Math.max(after, yield* journal.lastSeq)
        }
        if (options.follow) yield* Stream.runForEachChunk(journal.tail({ ...filter, after }), print)
      })
      // Following waits for the first event of a home where nothing has happened yet.
      yield* withJournal(home, options.follow ? "write" : "read")(show).pipe(
        Effect.catchTag("NoJournal", (error) => (options.json ? Effect.void : Console.log(paint.dim(`No events yet: there is no journal at ${error.file}.`))))
      )
    })
).pipe(Command.withDescription("Print the journal's events, one line each; --follow keeps printing new ones"))
