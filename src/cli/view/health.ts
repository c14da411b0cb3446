import type { HealthAllJson, HealthInstance, HealthJson } from "../../app/shapes.js"
import { paint } from "./palette.js"
import { renderTable } from "./table.js"
import { formatAge, formatTime } from "./time.js"

/**
 * `orch health`'s text, drawn from what `--json` prints (and the API sends): no Effect at run
 * time, so the launcher can show a daemon's answer without loading the full CLI (issue 22).
 */

type Health = HealthInstance["health"]

const colour = (health: Health) =>
  health === "healthy" ? paint.green : health === "loading" ? paint.yellow : health === "unknown" ? paint.dim : paint.red

const lastProbe = (instance: HealthInstance, now: number) => {
  const probe = instance.probes.at(-1)
  return probe === undefined ? "-" : `${probe.result}${probe.status === null ? "" : ` ${probe.status}`}, ${probe.latency_ms} ms, ${formatAge(now - probe.at)} ago`
}

const nextRestart = ({ next_restart: next }: HealthInstance | HealthJson) =>
  next === null ? "-" : `#${next.attempt} at ${formatTime(next.due_at)} (${next.reason})`

/** `orch health --all`: a table by name, or a line saying there is nothing yet. */
export const healthAllText = (instances: HealthAllJson, now: number): string =>
  instances.length === 0
    ? paint.dim("No instances have any history yet.")
    : renderTable(
      [{ header: "instance" }, { header: "health" }, { header: "since" }, { header: "last probe" }, { header: "failures" }, { header: "next restart", wrap: true }],
      [...instances].sort((a, b) => a.name.localeCompare(b.name)).map((instance) => [
        instance.name,
        colour(instance.health)(instance.health),
        instance.since === null ? "-" : `${formatAge(now - instance.since)} ago`,
        lastProbe(instance, now),
        String(instance.consecutive_failures),
        nextRestart(instance)
      ])
    )

/** `orch health NAME`: its state, its counts against their limits, and its newest probes as a table. */
export const healthText = (instance: HealthJson, now: number): string => {
  const lines = [
    `${instance.name}: ${colour(instance.health)(instance.health)}${instance.since === null ? "" : ` for ${formatAge(now - instance.since)}`} (status ${instance.status})`,
    `failures in a row: ${instance.consecutive_failures} of ${instance.retries}; restarts in a row: ${instance.attempts} of ${instance.max_retries}; next restart: ${nextRestart(instance)}`
  ]
  if (instance.probes.length > 0) {
    lines.push(renderTable(
      [{ header: "time" }, { header: "result" }, { header: "status" }, { header: "latency" }, { header: "path" }, { header: "reason", wrap: true }],
      instance.probes.map((probe) => [formatTime(probe.at), colour(probe.result === "ok" ? "healthy" : probe.result === "loading" ? "loading" : "error")(probe.result), probe.status === null ? "-" : String(probe.status), `${probe.latency_ms} ms`, probe.path, probe.reason ?? ""])
    ))
  }
  return lines.join("\n")
}

/** `orch health`'s exit code, for --all's list or one instance: 0 only if there is one and all are healthy. */
export const healthExitCode = (shown: HealthAllJson | HealthJson): 0 | 1 => {
  const instances: ReadonlyArray<{ readonly health: Health }> = Array.isArray(shown) ? shown : [shown as HealthJson]
  return instances.length > 0 && instances.every((instance) => instance.health === "healthy") ? 0 : 1
}
