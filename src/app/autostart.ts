import * as fs from "node:fs"
import { Clock, Effect, Either } from "effect"
import { discoverInstances } from "../config/discover.js"
import { autostartFile } from "../config/home.js"
import { readJsonFile } from "../config/read.js"
import { AUTOSTART_EXAMPLE, type PlannedStart, decodeAutostart, duplicateNames, planStarts } from "../domain/autostart.js"
import type { Event } from "../domain/events.js"
import type { FileFinding, Finding } from "../domain/findings.js"
import { currentState } from "../journal/projection.js"
import { type Checked, checkForUp, startEvents } from "./requests.js"

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

export type Planned = ReadonlyArray<{ readonly start: PlannedStart; readonly checked: Checked }>

/** The plan with every config checked as `up` checks them: what to start, or every problem. */
export const checkedPlan = (home: string): Effect.Effect<Either.Either<Planned, ReadonlyArray<FileFinding>>> =>
  Effect.gen(function* () {
    const plan = yield* readPlan(home)
    if (Either.isLeft(plan)) return Either.left(plan.left)
    const checked = yield* Effect.forEach(plan.right, (start) => checkForUp(home, start.name))
    const problems = checked.flatMap((result) => (Either.isLeft(result) ? result.left : []))
    if (problems.length > 0) return Either.left(problems)
    return Either.right(plan.right.map((start, index) => ({ start, checked: Either.getOrThrow(checked[index]!) })))
  })

/**
 * Each start in order, after its delay, recorded by `append` as asked by autostart; `waiting`
 * and `requested` hear of each delay and each request as they happen.
 */
export const requestInOrder = <E, R, E2, R2>(
  starts: Planned,
  append: (events: ReadonlyArray<{ readonly instance: string; readonly event: Event }>) => Effect.Effect<unknown, E, R>,
  report: { readonly waiting: (start: PlannedStart) => Effect.Effect<void, E2, R2>; readonly requested: (start: PlannedStart) => Effect.Effect<void, E2, R2> }
) =>
  Effect.forEach(starts, ({ start, checked }) =>
    Effect.gen(function* () {
      if (start.delay_ms > 0) {
        yield* report.waiting(start)
        yield* Effect.sleep(start.delay_ms)
      }
      yield* append(startEvents(yield* currentState, checked, "autostart", yield* Clock.currentTimeMillis))
      yield* report.requested(start)
    }), { discard: true })
