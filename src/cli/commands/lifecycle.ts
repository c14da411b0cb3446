import * as fs from "node:fs"
import { Args, Options } from "@effect/cli"
import { Clock, Console, Effect, Option } from "effect"
import { askDaemon } from "../../app/daemon-client.js"
import { whyNotStarted } from "../../app/daemon.js"
import { BadOption } from "../../app/errors.js"
import { withJournal } from "../../app/journal.js"
import { askedEvents, request } from "../../app/requests.js"
import { type Progress, waitFor } from "../../app/wait.js"
import { daemonLog, journalFile } from "../../config/home.js"
import type { Event, Requester } from "../../domain/events.js"
import type { FileFinding } from "../../domain/findings.js"
import type { InstanceState } from "../../domain/instances.js"
import type { Outcome } from "../../domain/outcome.js"
import { currentState } from "../../journal/projection.js"
import { ExitCode } from "../errors.js"
import { instanceNames } from "../names.js"
import { integerOption, wholeNumber } from "../option-values.js"
import { homeFrom, homeOption } from "../options.js"
import { summary } from "../view/events.js"
import { bad, ok, printFindings } from "../view/findings.js"
import { paint } from "../view/palette.js"
import { lostText, NOTHING_TO_STOP, requestedText } from "../view/requested.js"

export const namesArg = Args.text({ name: "name" }).pipe(Args.repeated, Args.withDescription("The instances (or --all)"))
export const allOption = Options.boolean("all").pipe(Options.withDescription("Every instance (default: off)"))
export const noWaitOption = Options.boolean("no-wait").pipe(Options.withDescription("Return once the request is recorded (default: wait)"))
export const timeoutOption = integerOption("timeout", "seconds to wait, for example --timeout 120").pipe(
  Options.withPseudoName("SECONDS"),
  Options.optional,
  Options.withDescription("How long to wait before giving up, exit 1 (default: the longest healthcheck.start_period + 30 s)")
)

export const lifecycleOptions = { names: namesArg, all: allOption, noWait: noWaitOption, timeout: timeoutOption, home: homeOption }

export const by: Requester = "cli"

/**
 * What `up`, `down` and `restart` were asked, checked before anything touches the disk: the
 * names given (undefined for --all, which each command resolves its own way) and the timeout.
 */
export const checkRequest = (options: { readonly names: ReadonlyArray<string>; readonly all: boolean; readonly timeout: Option.Option<number> }) =>
  Effect.gen(function* () {
    if (options.all && options.names.length > 0) return yield* new BadOption({ option: "--all", problem: "give names or --all, not both", hint: "drop the names, or drop --all" })
    if (!options.all && options.names.length === 0) return yield* new BadOption({ option: "NAME", problem: "no instance named", hint: "name one or more instances, or pass --all" })
    if (Option.isSome(options.timeout)) yield* wholeNumber("--timeout", options.timeout.value, { min: 1 }, "seconds to wait, for example --timeout 120")
    return options.all ? undefined : yield* instanceNames(options.names)
  })

/**
 * The request made through the home's running daemon, which checks and records it as this CLI
 * would (by: cli): where it follows the journal from, and the names it resolved. Undefined where
 * none answers, or it refuses (a config with problems): then the CLI does it here, and words the
 * refusal as it always has. A daemon that took the request and never answered (hung, or stopped)
 * may have recorded it: a start or a stop asked again is the same request (the decider records
 * what is still to do), so the CLI records it itself; a restart twice would be two, so it says so.
 */
export const askedOfDaemon = (home: string, action: "up" | "down" | "restart", names: ReadonlyArray<string> | undefined, timeout: Option.Option<number>) =>
  Effect.gen(function* () {
    const body = { action, ...(names === undefined ? { all: true } : { names }), by }
    const got = yield* Effect.promise(() => askDaemon(home, "POST", "/requests", body, Option.match(timeout, { onNone: () => undefined, onSome: (seconds) => seconds * 1000 })))
    if (got._tag === "Lost" && action === "restart") {
      yield* bad(lostText(got.url))
      return yield* new ExitCode({ code: 1 })
    }
    return got._tag === "Answered" && got.status === 202 ? (got.body as { readonly after: number; readonly names: ReadonlyArray<string> }) : undefined
  })

/** What follows a request the daemon took: `nothing` said where it resolved no name, else as the CLI's own. */
export const followAsked = (
  home: string,
  asked: { readonly after: number; readonly names: ReadonlyArray<string> },
  options: { readonly noWait: boolean; readonly timeout: Option.Option<number> },
  outcome: (instance: InstanceState, now: number) => Outcome,
  nothing: string
) =>
  asked.names.length === 0
    ? Console.log(nothing)
    : options.noWait
      ? Console.log(requestedText(asked.names))
      : withJournal(home, "read")(watch(home, asked.names, asked.after, options.timeout, outcome, false))

/** Records the requests (saying if it started the daemon); the seq to follow the journal from. */
export const requested = (home: string, events: ReadonlyArray<{ readonly instance: string; readonly event: Event }>, quiet: boolean) =>
  Effect.gen(function* () {
    const { after, daemon } = yield* request(home, events)
    if (daemon === undefined) {
      yield* bad(whyNotStarted(home))
      return yield* new ExitCode({ code: 1 })
    }
    if (daemon.started && !quiet) yield* Console.log(paint.dim(`started the daemon (pid ${daemon.pid}); it runs on in the background`))
    return after
  })

const show = (home: string, quiet: boolean) => (progress: Progress) => {
  switch (progress._tag) {
    case "Event":
      return quiet ? Effect.void : Console.log(paint.dim(`  ${progress.name}: ${progress.envelope.event._tag} ${summary(progress.envelope.event)}`))
    case "Done":
      return (progress.ok ? ok : bad)(`${progress.name}: ${progress.text}`)
    case "NotDone": {
      const why = progress.why === "daemon gone"
        ? `the daemon is gone; see ${daemonLog(home)}`
        : `still not done after ${Math.round(progress.timeoutMs / 1000)} s (see \`orch events --instance ${progress.name}\`)`
      return bad(`${progress.name}: ${progress.disputed ?? why}`)
    }
  }
}

/**
 * Follows the journal from `after`, printing what happens to each instance, until `outcome`
 * says every one is done or the timeout runs out. Exit 1 if any failed or timed out.
 */
export const watch = (
  home: string,
  names: ReadonlyArray<string>,
  after: number,
  timeout: Option.Option<number>,
  outcome: (instance: InstanceState, now: number) => Outcome,
  quiet: boolean
) =>
  Effect.gen(function* () {
    const waited = yield* waitFor(home, names, after, timeout, outcome, show(home, quiet))
    if (waited.ok) return
    if (waited.disputed) {
      yield* Console.log(paint.dim(`hint: the journal and the processes disagree; \`orch daemon status\` shows whether a daemon acts on this journal (its log: ${daemonLog(home)}): once one does, it adopts or stops what runs as the journal asks; then ask again`))
    }
    return yield* new ExitCode({ code: 1 })
  })

export const findingsFor = (findings: ReadonlyArray<FileFinding>) =>
  Effect.zipRight(bad(`not started: the config has ${findings.length} problem${findings.length === 1 ? "" : "s"}`), printFindings(findings, true))

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
  ask: "Down" | "Restart",
  outcome: (requestedAt: number) => (instance: InstanceState, now: number) => Outcome
) =>
  Effect.gen(function* () {
    const given = yield* checkRequest(options)
    const home = homeFrom(options.home)
    const askedAt = yield* Clock.currentTimeMillis
    const asked = yield* askedOfDaemon(home, ask === "Down" ? "down" : "restart", given, options.timeout)
    if (asked !== undefined) return yield* followAsked(home, asked, options, outcome(askedAt), NOTHING_TO_STOP)
    // --all where nothing has happened yet: nothing to stop, and no journal begun to say so.
    if (given === undefined && !fs.existsSync(journalFile(home))) return yield* Console.log(NOTHING_TO_STOP)
    yield* withJournal(home, "write")(
      Effect.gen(function* () {
        const names = given ?? Object.keys((yield* currentState).instances).sort()
        if (names.length === 0) return yield* Console.log(NOTHING_TO_STOP)
        const requestedAt = yield* Clock.currentTimeMillis
        const state = yield* currentState
        const after = yield* requested(home, askedEvents(state, { _tag: ask, names }, by, requestedAt), ask === "Down")
        if (options.noWait) return yield* Console.log(requestedText(names))
        yield* watch(home, names, after, options.timeout, outcome(requestedAt), false)
      })
    )
  })
