import { createHash } from "node:crypto"
import { Effect, Either } from "effect"
import { checkBinary, checkLogsDir, checkModel } from "../config/checks.js"
import { leavesHome } from "../config/discover.js"
import { configFile } from "../config/home.js"
import { loadConfig } from "../config/validate.js"
import { type Decided, decide } from "../domain/decide.js"
import type { Event, Requester } from "../domain/events.js"
import type { FileFinding } from "../domain/findings.js"
import type { State } from "../domain/instances.js"
import { Journal } from "../journal/Journal.js"
import { ensureDaemon } from "./daemon.js"

export interface Checked {
  readonly name: string
  readonly raw: Readonly<Record<string, unknown>>
  readonly hash: string
}

/**
 * An instance's config, checked as `up` needs it (the port is the daemon's to check at spawn). The
 * JSON that was checked is the one journaled: the file is not read a second time.
 */
export const checkForUp = (home: string, name: string) =>
  Effect.gen(function* () {
    const outside = yield* leavesHome(home, name)
    if (outside !== undefined) return Either.left([outside])
    const file = configFile(home, name)
    const loaded = yield* loadConfig(file, name)
    if (loaded.config === undefined || loaded.raw === undefined) return Either.left(loaded.findings)
    const config = loaded.config
    const findings = (yield* Effect.all([checkModel(home, config), checkLogsDir(file), checkBinary(home, config)])).flat()
    if (findings.length > 0) return Either.left(findings.map((finding): FileFinding => ({ file, instance: name, ...finding })))
    return Either.right<Checked>({ name, raw: loaded.raw, hash: createHash("sha256").update(JSON.stringify(loaded.raw)).digest("hex") })
  })

/**
 * Appends the requests, then makes sure a daemon is there to act on them: `after`, the seq the
 * requests follow (where to follow the journal from), and the daemon, undefined if none would start.
 */
export const request = (home: string, events: ReadonlyArray<{ readonly instance: string; readonly event: Event }>) =>
  Effect.gen(function* () {
    const journal = yield* Journal
    const seqs = yield* journal.append(events)
    const daemon = yield* ensureDaemon(home)
    return { after: Math.min(...seqs) - 1, daemon }
  })

/** What asking for a start records, as the decider says (the config if new or changed, then the request). */
export const startEvents = (state: State, checked: Checked, by: Requester, now: number, reason?: "on_demand" | "swap"): ReadonlyArray<Decided> =>
  decide(state, { _tag: "Up", instance: checked.name, config: checked.raw, hash: checked.hash, by, ...(reason === undefined ? {} : { reason }) }, now)

/**
 * Every config `up` is asked to start, checked before anything is recorded: all of them as
 * checked, or every problem of every one (then nothing may be recorded: a bad one starts nothing).
 */
export const checkAllForUp = (home: string, names: ReadonlyArray<string>) =>
  Effect.map(Effect.forEach(names, (name) => checkForUp(home, name)), (results): Either.Either<ReadonlyArray<Checked>, ReadonlyArray<FileFinding>> => {
    const problems = results.flatMap((result) => (Either.isLeft(result) ? result.left : []))
    return problems.length > 0 ? Either.left(problems) : Either.right(results.map((result) => Either.getOrThrow(result)))
  })

/** A whole `up`, `down` or `restart` command, its names resolved (and for `up`, its configs checked). */
export type Asked =
  | { readonly _tag: "Up"; readonly checked: ReadonlyArray<Checked> }
  | { readonly _tag: "Down" | "Restart"; readonly names: ReadonlyArray<string> }

/** What a whole command records, in one append, whichever door it came through (the CLI, the API). */
export const askedEvents = (state: State, asked: Asked, by: Requester, now: number): ReadonlyArray<Decided> =>
  asked._tag === "Up"
    ? asked.checked.flatMap((checked) => startEvents(state, checked, by, now))
    : asked.names.flatMap((instance) => decide(state, { _tag: asked._tag, instance, by }, now))
