/** A daemon started by a bench on its home, and stopped again whatever happens. */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import type { Api } from "./api-client.js"
import { onInterrupt } from "./interrupt.js"

const ORCH = path.join(process.cwd(), "dist/orch.cjs")

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const orch = (home: string, ...args: Array<string>) =>
  spawnSync(process.execPath, [ORCH, ...args, "--home", home], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" }, timeout: 60_000 })

/** The pid in HOME/journal/daemon.pid ("PID START_TIME"), or undefined. */
export const daemonPid = (home: string) => {
  const file = path.join(home, "journal", "daemon.pid")
  if (!fs.existsSync(file)) return undefined
  const pid = Number(fs.readFileSync(file, "utf8").split(" ")[0])
  return Number.isInteger(pid) && pid > 0 ? pid : undefined
}

/** The process's start time in clock ticks since boot (/proc, Linux): tells it from a later process given the same pid. */
const startTicks = (pid: number) => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]
  } catch {
    return undefined
  }
}

/** Each home with a daemon started here: the daemon (pid and start time) once known, and how to forget its clean-up on interrupt. */
const started = new Map<string, { daemon?: { pid: number; ticks: string | undefined }; forget: () => void }>()

/**
 * Stops the home's daemon and every server it started (`orch daemon stop --all`); the daemon seen
 * at start, if it outlives that (and is still that process), is killed: no bench leaves one behind.
 */
export const stopDaemon = (home: string) => {
  const entry = started.get(home)
  orch(home, "daemon", "stop", "--all")
  const daemon = entry?.daemon
  if (daemon !== undefined && daemon.ticks !== undefined && startTicks(daemon.pid) === daemon.ticks) process.kill(daemon.pid, "SIGKILL")
  entry?.forget()
  started.delete(home)
}

/**
 * `orch daemon start` on HOME (its orch.json should say `"http": {"listen": "127.0.0.1:0"}`, so
 * no two benches' daemons want one port), then waits until its API answers (GET /health): the
 * daemon's pid and its API (url and token from `orch api --json`).
 */
export const startDaemon = async (home: string): Promise<{ pid: number; api: Api }> => {
  const entry: { daemon?: { pid: number; ticks: string | undefined }; forget: () => void } = { forget: onInterrupt(() => stopDaemon(home)) }
  started.set(home, entry)
  const start = orch(home, "daemon", "start")
  const pid = daemonPid(home)
  if (pid !== undefined) entry.daemon = { pid, ticks: startTicks(pid) }
  try {
    if (start.status !== 0) throw new Error(`orch daemon start: exit ${start.status}: ${start.stdout}${start.stderr}`)
    if (pid === undefined) throw new Error(`orch daemon start said "${start.stdout.trim()}" but left no daemon.pid`)
    for (let tries = 0; ; tries++) {
      const shown = orch(home, "api", "--json")
      const api = shown.status === 0 ? (JSON.parse(shown.stdout) as { url: string | null; token: string | null }) : undefined
      if (api?.url != null && api.token != null) {
        // The daemon's own /health is at the root, beside /api/v1.
        const health = await fetch(`${new URL(api.url).origin}/health`).catch(() => undefined)
        if (health?.status === 200) return { pid, api: { url: api.url, token: api.token } }
      }
      if (tries > 50) throw new Error(`the daemon's API did not answer: ${shown.stdout}${shown.stderr}`)
      await sleep(100)
    }
  } catch (error) {
    stopDaemon(home)
    throw error
  }
}
