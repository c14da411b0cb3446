import type { PsRow } from "../../app/shapes.js"
import { paint } from "./palette.js"
import { renderTable } from "./table.js"
import { formatAge } from "./time.js"

/* Plain code, no Effect: the thin launcher renders the daemon's answer with it (src/launcher/thin.ts). */

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

/** What `orch ps` prints where a home has no instance. */
export const noInstances = (home: string) => `No instances in ${home} yet. Create one with \`orch init NAME --model PATH\`, then start it with \`orch up NAME\`.`
