import * as fs from "node:fs"
import * as path from "node:path"
import { Command } from "@effect/cli"
import { Console, Effect, Either } from "effect"
import { discoverInstances } from "../config/discover.js"
import { readJsonFile } from "../config/read.js"
import { AUTOSTART_EXAMPLE, type PlannedStart, decodeAutostart, duplicateNames, planStarts } from "../domain/autostart.js"
import { formatDuration } from "../domain/duration.js"
import type { Event } from "../domain/events.js"
import type { FileFinding, Finding } from "../domain/findings.js"
import { Journal } from "../journal/Journal.js"
import { currentState } from "../journal/projection.js"
import { ExitCode } from "./errors.js"
import { bad, ok, printFindings } from "./findings.js"
import { withJournal } from "./home-journal.js"
import { homeFrom, homeOption } from "./options.js"
import { type Checked, checkForUp, request, startEvents } from "./requests.js"

export const autostartFile = (home: string) => path.join(home, "autostart.json")

/** autostart.json read and checked against the home: the starts in order, or every problem. */
const readPlan = (home: string) =>
  Effect.gen(function* () {
    const file = autostartFile(home)
    const problems = (findings: ReadonlyArray<Finding>) =>
      Either.left(findings.map((finding): FileFinding => ({ file, ...finding })))
    const parsed = yield* readJsonFile(file)
    if (Either.isLeft(parsed)) {
      return problems([parsed.left.problem === "file not found" ? { field: "", problem: "there is no autostart.json in this home", hint: `create it, like ${AUTOSTART_EXAMPLE}` } : parsed.left])
    }
    const decoded = decodeAutostart(parsed.right)
    if (Either.isLeft(decoded)) return problems(decoded.left)
    const known = new Set((yield* discoverInstances(home)).names)
    const findings = [
      ...duplicateNames(decoded.right).map((name) => ({ field: "instances", problem: `"${name}" is listed more than once`, hint: "list each instance once" })),
      ...planStarts(decoded.right)
        .filter((start) => !known.has(start.name))
        .map((start) => ({ field: "instances", problem: `there is no instance "${start.name}" in this home`, hint: `create it with \`orch init ${start.name} --model PATH\`, or take it off the list` }))
    ]
    return findings.length > 0 ? problems(findings) : Either.right(planStarts(decoded.right))
  })

/** For `orch config lint`: autostart.json's problems, when the home has one (none is fine: nothing starts at boot). */
export const autostartProblems = (home: string): Effect.Effect<ReadonlyArray<FileFinding>> =>
  Effect.promise(() => fs.promises.lstat(autostartFile(home)).then(() => true, () => false)).pipe(
    Effect.flatMap((exists) => (exists ? readPlan(home) : Effect.succeed(Either.right([])))),
    Effect.map((plan) => (Either.isLeft(plan) ? plan.left : []))
  )

type Planned = ReadonlyArray<{ readonly start: PlannedStart; readonly checked: Checked }>

/** The plan with every config checked as `up` checks them: what to start, or every problem. */
const checkedPlan = (home: string): Effect.Effect<Either.Either<Planned, ReadonlyArray<FileFinding>>> =>
  Effect.gen(function* () {
    const plan = yield* readPlan(home)
    if (Either.isLeft(plan)) return Either.left(plan.left)
    const checked = yield* Effect.forEach(plan.right, (start) => checkForUp(home, start.name))
    const problems = checked.flatMap((result) => (Either.isLeft(result) ? result.left : []))
    if (problems.length > 0) return Either.left(problems)
    return Either.right(plan.right.map((start, index) => ({ start, checked: Either.getOrThrow(checked[index]!) })))
  })

const printProblems = (home: string, problems: ReadonlyArray<FileFinding>) =>
  Effect.zipRight(
    bad(`nothing started from ${autostartFile(home)}: ${problems.length} problem${problems.length === 1 ? "" : "s"}`),
    printFindings(problems, problems.some((problem) => problem.instance !== undefined))
  )

/** Each start in order, after its delay, recorded by `append` as asked by autostart. */
const requestInOrder = <E, R>(
  starts: ReadonlyArray<{ readonly start: PlannedStart; readonly checked: Checked }>,
  append: (events: ReadonlyArray<{ readonly instance: string; readonly event: Event }>) => Effect.Effect<unknown, E, R>
) =>
  Effect.forEach(starts, ({ start, checked }) =>
    Effect.gen(function* () {
      if (start.delay_ms > 0) {
        yield* Console.log(`waiting ${formatDuration(start.delay_ms)} before ${start.name}`)
        yield* Effect.sleep(start.delay_ms)
      }
      yield* append(startEvents(yield* currentState, checked, "autostart"))
      yield* ok(`${start.name}: start requested`)
    }), { discard: true })

/**
 * `orch daemon autostart`: asks for every listed instance to start, in order and with the delays
 * asked for, starting the daemon if none runs. Every config is checked first; a bad one starts
 * nothing.
 */
export const autostart = (home: string) =>
  Effect.gen(function* () {
    const plan = yield* checkedPlan(home)
    if (Either.isLeft(plan)) {
      yield* printProblems(home, plan.left)
      return yield* new ExitCode({ code: 1 })
    }
    yield* withJournal(home, "write")(requestInOrder(plan.right, (events) => request(home, events, false)))
  })

/**
 * `orch daemon run --autostart`, for service managers: the same requests, appended by the daemon
 * itself while it runs. A bad autostart.json is reported and the daemon runs all the same: a
 * boot should still supervise what it can.
 */
export const autostartInDaemon = (home: string) =>
  Effect.gen(function* () {
    const plan = yield* checkedPlan(home)
    if (Either.isLeft(plan)) return yield* printProblems(home, plan.left)
    const journal = yield* Journal
    yield* requestInOrder(plan.right, journal.append)
  })

export const autostartCommand = Command.make("autostart", { home: homeOption }, (options) => autostart(homeFrom(options.home))).pipe(
  Command.withDescription("Start the daemon if needed and ask for each instance of autostart.json to start, in its order and with its delays (what a boot runs)")
)
