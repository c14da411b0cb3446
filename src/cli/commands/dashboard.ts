import { Command } from "@effect/cli"
import { Clock, Effect, Queue } from "effect"
import { BadOption } from "../../app/errors.js"
import { withJournal } from "../../app/journal.js"
import { readRows } from "../../app/ps.js"
import { journalDir } from "../../config/home.js"
import { EVENT_TYPES, type Envelope } from "../../domain/events.js"
import { Journal } from "../../journal/Journal.js"
import { runningDaemon } from "../../runtime/lock.js"
import { homeFrom, homeOption } from "../options.js"
import { eventLine } from "../view/events.js"
import { paint } from "../view/palette.js"
import { tableOf } from "../view/ps-table.js"
import { enterScreen } from "../view/screen.js"
import { formatTime } from "../view/time.js"

const REFRESH_MS = 1_000
/** Probes would crowd out everything else; their outcome is in the health column. */
const SHOWN_TYPES = EVENT_TYPES.filter((type) => type !== "HealthProbed")

const HELP = [
  paint.bold("keys"),
  "  q, Ctrl-C   quit",
  "  r           refresh now",
  "  h           this help (h again to close)",
  "",
  `${paint.bold("colours")}  ${paint.green("healthy")}  ${paint.yellow("starting, loading, backoff, stopping")}  ${paint.red("unhealthy, failed")}  ${paint.dim("stopped")}`,
  "",
  "orch describe NAME and orch logs NAME --stderr tell more of one instance."
]

const newestEvents = (home: string, count: number) =>
  withJournal(home, "read")(Effect.flatMap(Journal, (journal) => journal.readLast({ types: SHOWN_TYPES }, count))).pipe(
    Effect.catchTag("NoJournal", () => Effect.succeed<ReadonlyArray<Envelope>>([]))
  )

export const dashboard = Command.make("dashboard", { home: homeOption }, (options) =>
  Effect.gen(function* () {
    const home = homeFrom(options.home)
    if (process.stdout.isTTY !== true || process.stdin.isTTY !== true) {
      return yield* new BadOption({ option: "dashboard", problem: "it needs a terminal, and this is not one", hint: "orch ps for a snapshot, orch events --follow for a stream" })
    }
    const keys = yield* Queue.unbounded<string>()
    const screen = yield* Effect.acquireRelease(
      Effect.sync(() => enterScreen((key) => void Queue.unsafeOffer(keys, key))),
      (screen) => Effect.sync(screen.leave)
    )
    let help = false
    for (;;) {
      const { height } = screen.size()
      const table = tableOf(yield* readRows(home), { compact: true }).split("\n")
      // Under the table: a title line, a blank, the events' heading, and the key line.
      const room = Math.max(0, height - table.length - 4)
      const events = yield* newestEvents(home, room)
      const daemon = runningDaemon(journalDir(home))
      const title = `${paint.bold("orch dashboard")}  ${home}  ${daemon === undefined ? paint.yellow("daemon not running") : `daemon pid ${daemon.pid}`}  ${formatTime(yield* Clock.currentTimeMillis)}`
      const below = help ? HELP : [paint.bold("newest events"), ...events.map(eventLine)]
      screen.draw([title, ...table, "", ...below.slice(0, room + 1), ...Array<string>(Math.max(0, room + 1 - below.length)).fill(""), paint.dim("q quit · r refresh · h help")])
      const key = yield* Effect.race(Queue.take(keys), Effect.as(Effect.sleep(REFRESH_MS), "tick"))
      if (key === "q" || key === "Q" || key === "\u0003") return
      if (key === "h" || key === "?") help = !help
    }
  }).pipe(Effect.scoped)
).pipe(Command.withDescription("A live full-screen table of every instance and the newest events; q quits, r refreshes, h helps"))
