import * as path from "node:path"
import { Clock, Effect, Either } from "effect"
import { discoverInstances } from "../config/discover.js"
import { configFile, journalDir } from "../config/home.js"
import { readJsonFile } from "../config/read.js"
import { type InstanceConfig, decodeInstanceConfig } from "../domain/config.js"
import type { InstanceState } from "../domain/instances.js"
import { currentState } from "../journal/projection.js"
import { runningDaemon } from "../runtime/lock.js"
import { runningServers } from "../runtime/running-servers.js"
import { withJournal } from "./journal.js"
import type { PsRow } from "./shapes.js"

/** One row of `orch ps`, as `--json` prints it: its Schema is in shapes.ts, beside the other doors' shapes. */
export type { PsRow }

/** What a row shows of a config: the journal's, decoded by the fold, else the one on disk. */
const fromConfig = (decoded: InstanceConfig | null, raw: unknown) =>
  Either.match(decoded !== null ? Either.right(decoded) : decodeInstanceConfig(raw), {
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
 * configured on disk (`disk`: name → config as read), as "new". Sorted by name. `running`, where
 * the processes were looked at: the pids of each instance's servers that run; an instance found
 * only there is listed too.
 */
export const psRows = (
  instances: ReadonlyArray<InstanceState>,
  disk: ReadonlyMap<string, unknown>,
  now: number,
  running?: ReadonlyMap<string, ReadonlyArray<number>>
): ReadonlyArray<PsRow> => {
  const actualPids = (name: string, pid: number | null) => {
    if (running === undefined) return null
    const pids = running.get(name) ?? []
    return (pid === null ? pids.length === 0 : pids.length === 1 && pids[0] === pid) ? null : pids
  }
  const known = new Set(instances.map((instance) => instance.name))
  const rows: Array<PsRow> = instances.map((instance) => ({
    name: instance.name,
    pid: instance.pid,
    ...fromConfig(instance.decoded_config, instance.config ?? disk.get(instance.name)),
    status: instance.status,
    health: instance.health,
    desired: instance.desired,
    started_at: instance.pid === null ? null : instance.started_at,
    uptime_ms: instance.pid === null || instance.started_at === null ? null : Math.max(0, now - instance.started_at),
    restarts: instance.restart_count,
    actual_pids: actualPids(instance.name, instance.pid)
  }))
  const notJournaled = (name: string, raw: unknown): PsRow =>
    ({ name, pid: null, ...fromConfig(null, raw), status: "new", health: null, desired: null, started_at: null, uptime_ms: null, restarts: 0, actual_pids: actualPids(name, null) })
  for (const [name, raw] of disk) if (!known.has(name)) rows.push(notJournaled(name, raw))
  for (const name of running?.keys() ?? []) if (!known.has(name) && !disk.has(name)) rows.push(notJournaled(name, undefined))
  return rows.sort((a, b) => a.name.localeCompare(b.name))
}

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
