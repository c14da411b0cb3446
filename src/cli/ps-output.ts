import { Clock, Console, Effect, Either } from "effect"
import { configFile, journalDir } from "../config/home.js"
import { discoverInstances } from "../config/discover.js"
import { readJsonFile } from "../config/read.js"
import { currentState } from "../journal/projection.js"
import { runningDaemon } from "../runtime/lock.js"
import { withJournal } from "./home-journal.js"
import { paint, printJson, renderTable } from "./output.js"
import { type PsRow, psRows, rowTone } from "./ps-view.js"
import { formatAge } from "./time.js"

const orDash = (value: string | number | null) => (value === null ? "-" : String(value))

export const tableOf = (rows: ReadonlyArray<PsRow>, options: { readonly compact?: boolean } = {}) =>
  renderTable(
    ["name", "pid", "port", "backend", "device", "model", "status", "health", "uptime", "restarts"].map((header) => ({ header })),
    rows.map((row) => {
      const tone = paint[rowTone(row)]
      const cells = [
        tone(row.name), orDash(row.pid), orDash(row.port), orDash(row.backend), orDash(row.device), orDash(row.model),
        tone(row.status), tone(row.health === null || row.health === "unknown" ? "-" : row.health),
        row.uptime_ms === null ? "-" : formatAge(row.uptime_ms), String(row.restarts)
      ]
      return row.status === "stopped" || row.status === "new" ? cells.map((cell) => paint.dim(cell)) : cells
    }),
    options
  )

/** Every instance of a home, from the journal's fold and the configs on disk. */
export const readRows = (home: string) =>
  Effect.gen(function* () {
    const state = yield* withJournal(home, "read")(currentState).pipe(Effect.catchTag("NoJournal", () => Effect.succeed(undefined)))
    const disk = new Map<string, unknown>()
    for (const name of (yield* discoverInstances(home)).names) disk.set(name, Either.getOrUndefined(yield* readJsonFile(configFile(home, name))))
    return psRows(Object.values(state?.instances ?? {}), disk, yield* Clock.currentTimeMillis)
  })

/** `orch ps`, for the command and for the fast path that skips the CLI framework (src/fast-ps.ts). */
export const showPs = (home: string, json: boolean) =>
  Effect.gen(function* () {
    const rows = yield* readRows(home)
    if (json) return yield* printJson(rows)
    if (rows.length === 0) {
      return yield* Console.log(`No instances in ${home} yet. Create one with \`orch init NAME --model PATH\`, then start it with \`orch up NAME\`.`)
    }
    yield* Console.log(tableOf(rows))
    if (runningDaemon(journalDir(home)) === undefined && rows.some((row) => row.desired === "up")) {
      yield* Console.error(paint.yellow("note: the daemon is not running, so nothing is watched or restarted: this is the journal's last word. Start it with `orch daemon start`."))
    }
  })
