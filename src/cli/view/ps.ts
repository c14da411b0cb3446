import { Console, Effect } from "effect"
import { type PsRow, readRows } from "../../app/ps.js"
import { journalDir } from "../../config/home.js"
import { runningDaemon } from "../../runtime/lock.js"
import { printJson } from "./json.js"
import { paint } from "./palette.js"
import { renderTable } from "./table.js"
import { formatAge } from "./time.js"

const orDash = (value: string | number | null) => (value === null ? "-" : String(value))

/** green healthy, yellow on the way (starting, loading, backoff, stopping), red unhealthy, failed or not as the journal says, dim stopped. */
export const rowTone = (row: PsRow): "green" | "yellow" | "red" | "dim" => {
  if (row.actual_pids !== null) return "red"
  if (row.status === "failed" || row.health === "unhealthy" || row.health === "error") return "red"
  if (row.status === "stopped" || row.status === "new") return "dim"
  if (row.status === "running" && row.health === "healthy") return "green"
  return "yellow"
}

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

/** `orch ps`, for the command and for the fast path that skips the CLI framework (src/launcher/fast-ps.ts). */
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
