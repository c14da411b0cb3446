import { Command } from "@effect/cli"
import { Console, Effect, Either } from "effect"
import { checkedPlan, requestInOrder } from "../../../app/autostart.js"
import { withJournal } from "../../../app/journal.js"
import { autostartFile } from "../../../config/home.js"
import type { PlannedStart } from "../../../domain/autostart.js"
import { formatDuration } from "../../../domain/duration.js"
import type { FileFinding } from "../../../domain/findings.js"
import { Journal } from "../../../journal/Journal.js"
import { ExitCode } from "../../errors.js"
import { homeFrom, homeOption } from "../../options.js"
import { bad, ok, printFindings } from "../../view/findings.js"
import { requested } from "../lifecycle.js"

const printProblems = (home: string, problems: ReadonlyArray<FileFinding>) =>
  Effect.zipRight(
    bad(`nothing started from ${autostartFile(home)}: ${problems.length} problem${problems.length === 1 ? "" : "s"}`),
    printFindings(problems, problems.some((problem) => problem.instance !== undefined))
  )

const report = {
  waiting: (start: PlannedStart) => Console.log(`waiting ${formatDuration(start.delay_ms)} before ${start.name}`),
  requested: (start: PlannedStart) => ok(`${start.name}: start requested`)
}

/**
 * `orch daemon autostart`: asks for every listed instance to start, in order and with the delays
 * asked for, starting the daemon if none runs. Every config is checked first; a bad one starts
 * nothing.
 */
const autostart = (home: string) =>
  Effect.gen(function* () {
    const plan = yield* checkedPlan(home)
    if (Either.isLeft(plan)) {
      yield* printProblems(home, plan.left)
      return yield* new ExitCode({ code: 1 })
    }
    yield* withJournal(home, "write")(requestInOrder(plan.right, (events) => requested(home, events, false), report))
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
    yield* requestInOrder(plan.right, journal.append, report)
  })

export const autostartCommand = Command.make("autostart", { home: homeOption }, (options) => autostart(homeFrom(options.home))).pipe(
  Command.withDescription("Start the daemon if needed and ask for each instance of autostart.json to start, in its order and with its delays (what a boot runs)")
)
