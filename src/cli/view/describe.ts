import type { Described } from "../../app/shapes.js"
import { humanSize } from "../../domain/size.js"
import { exitText } from "../../domain/ending.js"
import { servedFailed } from "../../domain/served.js"
import { paint } from "./palette.js"
import { renderTable } from "./table.js"
import { formatAge, formatTime } from "./time.js"

/** Enough to see what the gateway is doing now; --json has the fold's whole ring. */
const REQUESTS_SHOWN = 5

type Request = Described["requests"][number]

const tokensText = (request: Request) =>
  request.prompt_tokens === null && request.completion_tokens === null ? "-" : `${request.prompt_tokens ?? "-"}/${request.completion_tokens ?? "-"}`

const requestRow = (request: Request) => [
  formatTime(request.at),
  request.endpoint,
  request.status === 0 ? "no answer" : String(request.status),
  `${request.duration_ms} ms`,
  request.ttft_ms === null ? "-" : `${request.ttft_ms} ms`,
  tokensText(request),
  request.tokens_per_second === null ? "-" : request.tokens_per_second.toFixed(1),
  request.error ?? ""
]

export const describeText = (described: Described, now: number) => {
  const ago = (at: number | null) => (at === null ? "" : ` for ${formatAge(Math.max(0, now - at))}`)
  const size = (bytes: number | null) => (bytes === null ? "not there yet" : humanSize(bytes))
  const lines = [
    paint.bold(described.name),
    `  status     ${described.status}${described.desired === null ? " (never started)" : ` (wanted ${described.desired})`}`,
    `  health     ${described.health ?? "-"}${described.health === null ? "" : ago(described.health_since)}`,
    `  pid        ${described.pid ?? "-"}${described.started_at === null ? "" : `, started ${formatTime(described.started_at)}, up ${formatAge(described.uptime_ms ?? 0)}`}`,
    `  restarts   ${described.restarts} in all, ${described.restarts_in_a_row} in a row${described.max_retries === null ? "" : ` (gives up after ${described.max_retries})`}; next ${described.next_restart === null ? "-" : `#${described.next_restart.attempt} at ${formatTime(described.next_restart.due_at)}`}`,
    `  last exit  ${described.last_exit === null ? "-" : `${exitText(described.last_exit, "cell")} at ${formatTime(described.last_exit.at)}`}`,
    ...(described.last_error === null ? [] : [`  why        ${described.last_error}`]),
    `  argv       ${described.argv === null ? "- (not started yet)" : described.argv.join(" ")}`,
    `  gpu        ${described.gpu === null ? "-" : `${described.gpu.backend}${described.gpu.selected_by === null ? "" : `, ${described.gpu.selected_by}`}`}`,
    `  env keys   ${described.env_keys.join(", ") || "-"}`,
    `  stdout     ${described.logs.stdout.path} (${size(described.logs.stdout.size)})`,
    `  stderr     ${described.logs.stderr.path} (${size(described.logs.stderr.size)}: llama-server logs there)`,
    "",
    paint.bold(`config${described.config_hash === null ? " (on disk, not applied yet)" : " (in effect)"}, secrets hidden`),
    described.config === null ? "  -" : JSON.stringify(described.config, null, 2).replace(/^/gm, "  ")
  ]
  if (described.probes.length > 0) {
    lines.push("", paint.bold(`last ${described.probes.length} probes`), renderTable(
      [{ header: "time" }, { header: "result" }, { header: "status" }, { header: "latency" }, { header: "path" }, { header: "reason", wrap: true }],
      described.probes.map((probe) => [formatTime(probe.at), probe.result, probe.status === null ? "-" : String(probe.status), `${probe.latency_ms} ms`, probe.path, probe.reason ?? ""])
    ))
  }
  if (described.restart_history.length > 0) {
    lines.push("", paint.bold("restarts"), renderTable(
      [{ header: "when" }, { header: "attempt" }, { header: "why" }, { header: "exit" }, { header: "delay" }],
      described.restart_history.map((restart) => [formatTime(restart.at), String(restart.attempt), restart.reason, exitText(restart.exit, "cell"), `${restart.delay_ms} ms`])
    ))
  }
  if (described.requests.length > 0) {
    const shown = described.requests.slice(-REQUESTS_SHOWN)
    const kept = described.requests.length
    const failures = described.requests.filter(servedFailed).length
    lines.push("", `${paint.bold(`last ${shown.length}${shown.length < kept ? ` of ${kept}` : ""} requests`)}, ${failures === 0 ? "none" : failures} failed`, renderTable(
      [{ header: "time" }, { header: "endpoint" }, { header: "status" }, { header: "took" }, { header: "first token" }, { header: "tokens in/out" }, { header: "tok/s" }, { header: "error", wrap: true }],
      shown.map(requestRow)
    ))
  }
  return lines.join("\n")
}
