import { Clock, Console, Effect, Either } from "effect"
import { configFile, journalDir } from "../config/home.js"
import { discoverInstances } from "../config/discover.js"
import { readJsonFile } from "../config/read.js"
import { currentState } from "../journal/projection.js"
import { runningDaemon } from "../runtime/lock.js"
import { runningServers } from "../runtime/proc.js"
import { withJournal } from "./home-journal.js"
import { paint, printJson, renderTable } from "./output.js"
import { type PsRow, psRows, rowTone } from "./ps-view.js"
import { formatAge } from "./time.js"

const orDash = (value: string | number | null) => (value === null ? "-" : String(value))

/** The processes' word where it contradicts the journal's, with the journal's beside it. */
const pidCell = (row: PsRow) => (row.actual_pids === null ? orDash(row.pid) : row.actual_pids.length === 0 ? "-" : row.actual_pids.join(","))
const statusCell = (row: PsRow) =>
  row.actual_pids === null ? row.status : `${row.actual_pids.length === 0 ? "gone" : "running"} (journal: ${row.status})`

export const tableOf = (rows: ReadonlyArray<PsRow>, options: { readonly compact?: boolean } = {}) =>
  renderTable(
    ["name", "pid", "port", "backend", "device", "model", "status", "health", "uptime", "restarts"].map((header) => ({ header })),
    rows.map((row) => {
      const tone = paint[rowTone(row)]
      const cells = [
        tone(row.name), pidCell(row), orDash(row.port), orDash(row.backend), orDash(row.device), orDash(row.model),
        tone(statusCell(row)), tone(row.health === null || row.health === "unknown" ? "-" : row.health),
        row.uptime_ms === null || row.actual_pids !== null ? "-" : formatAge(row.uptime_ms), String(row.restarts)
      ]
      return (row.status === "stopped" || row.status === "new") && row.actual_pids === null ? cells.map((cell) => paint.dim(cell)) : cells
    }),
    options
  )

/** Every instance of a home, from the journal's fold and the configs on disk. */
export const readRows = (home: string) =>
  Effect.gen(function* () {
    const state = yield* withJournal(home, "read")(currentState).pipe(Effect.catchTag("NoJournal", () => Effect.succeed(undefined)))
    const disk = new Map<string, unknown>()
    for (const name of (yield* discoverInstances(home)).names) disk.set(name, Either.getOrUndefined(yield* readJsonFile(configFile(home, name))))
    const instances = Object.values(state?.instances ?? {})
    // A daemon that folds this journal keeps it true to the processes, and ends if it is replaced
    // under it: while one runs, the processes (every one's environment, on Linux) need no look.
    const daemon = runningDaemon(journalDir(home))
    const vouched = daemon !== undefined && state?.daemon?.pid === daemon.pid && state.daemon.stopped_at === null
    const running = vouched
      ? undefined
      : runningServers(home, instances.flatMap((instance) =>
          instance.pid === null || instance.start_time === null ? [] : [{ instance: instance.name, pid: instance.pid, startTime: instance.start_time }]))
    return psRows(instances, disk, yield* Clock.currentTimeMillis, running)
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
    const contradicted = rows.filter((row) => row.actual_pids !== null).map((row) => row.name)
    if (contradicted.length > 0) {
      yield* Console.error(paint.yellow(
        `note: what runs is not what the journal says for ${contradicted.join(", ")}: the journal was changed under its daemon, or a daemon ended before recording what it did. ` +
          "A daemon that starts on this journal adopts or stops each server as the journal asks: `orch up NAME` keeps one, `orch down NAME` stops it; `orch daemon status` shows the daemon."
      ))
    }
    if (runningDaemon(journalDir(home)) === undefined && rows.some((row) => row.desired === "up")) {
      yield* Console.error(paint.yellow("note: the daemon is not running, so nothing is watched or restarted: this is the journal's last word. Start it with `orch daemon start`."))
    }
  })
