import * as path from "node:path"
import { Either, Schema } from "effect"
import { InstanceConfig } from "../domain/config.js"
import type { InstanceState } from "../domain/instances.js"

/** One row of `orch ps`, as `--json` prints it: these names are an interface, keep them stable. */
export interface PsRow {
  readonly name: string
  readonly pid: number | null
  readonly host: string | null
  readonly port: number | null
  readonly backend: string | null
  readonly device: number | null
  readonly model: string | null
  /** running, starting, backoff, stopping, failed, stopped; "new" for a config never started. */
  readonly status: InstanceState["status"] | "new"
  readonly health: InstanceState["health"] | null
  readonly desired: InstanceState["desired"] | null
  readonly started_at: number | null
  readonly uptime_ms: number | null
  readonly restarts: number
}

const decodeConfig = Schema.decodeUnknownEither(InstanceConfig)

const fromConfig = (raw: unknown) =>
  Either.match(decodeConfig(raw), {
    onLeft: () => ({ host: null, port: null, backend: null, device: null, model: null }),
    onRight: (config) => ({
      host: config.server.host,
      port: config.server.port,
      backend: config.gpu.backend,
      device: config.gpu.device_id ?? null,
      model: path.basename(config.model.path)
    })
  })

/**
 * Every instance the journal knows, with the config it was started with; and those only
 * configured on disk (`disk`: name → config as read), as "new". Sorted by name.
 */
export const psRows = (instances: ReadonlyArray<InstanceState>, disk: ReadonlyMap<string, unknown>, now: number): ReadonlyArray<PsRow> => {
  const known = new Set(instances.map((instance) => instance.name))
  const rows: Array<PsRow> = instances.map((instance) => ({
    name: instance.name,
    pid: instance.pid,
    ...fromConfig(instance.config ?? disk.get(instance.name)),
    status: instance.status,
    health: instance.health,
    desired: instance.desired,
    started_at: instance.pid === null ? null : instance.started_at,
    uptime_ms: instance.pid === null || instance.started_at === null ? null : Math.max(0, now - instance.started_at),
    restarts: instance.restart_count
  }))
  for (const [name, raw] of disk) {
    if (known.has(name)) continue
    rows.push({ name, pid: null, ...fromConfig(raw), status: "new", health: null, desired: null, started_at: null, uptime_ms: null, restarts: 0 })
  }
  return rows.sort((a, b) => a.name.localeCompare(b.name))
}

/** green healthy, yellow on the way (starting, loading, backoff, stopping), red unhealthy or failed, dim stopped. */
export const rowTone = (row: PsRow): "green" | "yellow" | "red" | "dim" => {
  if (row.status === "failed" || row.health === "unhealthy" || row.health === "error") return "red"
  if (row.status === "stopped" || row.status === "new") return "dim"
  if (row.status === "running" && row.health === "healthy") return "green"
  return "yellow"
}
