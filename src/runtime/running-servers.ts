import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import { HOME_MARKER, INSTANCE_MARKER } from "../domain/argv.js"

/**
 * Process identity is (pid, start time): a pid alone may have been reused by the time we look
 * again. On Linux the start time is field 22 of /proc/<pid>/stat (clock ticks since boot);
 * elsewhere, what `ps -o lstart=` prints.
 */
const readStat = (pid: number): { readonly state: string; readonly startTime: string } | undefined => {
  if (process.platform === "linux") {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
      // The command name (field 2) may hold spaces and parentheses: count from the last ")".
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
      return { state: fields[0]!, startTime: fields[19]! }
    } catch {
      return undefined
    }
  }
  try {
    const out = execFileSync("ps", ["-o", "state=,lstart=", "-p", String(pid)], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim()
    return out === "" ? undefined : { state: out.slice(0, 1), startTime: out.slice(1).trim() }
  } catch {
    return undefined
  }
}

/** The start time of a process, zombies included (a child that just died is one until reaped). */
export const startTimeOf = (pid: number): string | undefined => readStat(pid)?.startTime

/** Whether the process that had this identity still runs (a zombie does not). */
export const isAlive = (pid: number, startTime: string) => {
  const stat = readStat(pid)
  return stat !== undefined && stat.startTime === startTime && stat.state !== "Z" && stat.state !== "X"
}

export interface Marked {
  readonly pid: number
  readonly instance: string
  readonly startTime: string
}

/**
 * Servers of this home found by their environment markers (Linux), including one spawned just
 * before a daemon died and never journaled.
 */
export const findMarked = (home: string): ReadonlyArray<Marked> => {
  if (process.platform !== "linux") return []
  const found: Array<Marked> = []
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue
    let environ: string
    try {
      environ = fs.readFileSync(`/proc/${entry}/environ`, "latin1")
    } catch {
      continue
    }
    if (!environ.includes(`${HOME_MARKER}=${home}\u0000`) && !environ.endsWith(`${HOME_MARKER}=${home}`)) continue
    const instance = environ.split("\u0000").find((pair) => pair.startsWith(`${INSTANCE_MARKER}=`))?.slice(INSTANCE_MARKER.length + 1)
    const pid = Number(entry)
    const startTime = startTimeOf(pid)
    if (instance !== undefined && startTime !== undefined && pid !== process.pid) found.push({ pid, instance, startTime })
  }
  return found
}

/**
 * The servers of this home that run, by instance, as the processes themselves show them: each
 * recorded one (a journal's pid and start time) that still runs, and every one found by its
 * markers (Linux), recorded or not. For checking what a journal says, which may not be so.
 */
export const runningServers = (
  home: string,
  recorded: ReadonlyArray<{ readonly instance: string; readonly pid: number; readonly startTime: string }>
): ReadonlyMap<string, ReadonlyArray<number>> => {
  const found = new Map<string, Set<number>>()
  const add = (instance: string, pid: number) => {
    const pids = found.get(instance) ?? new Set<number>()
    found.set(instance, pids.add(pid))
  }
  for (const server of recorded) if (isAlive(server.pid, server.startTime)) add(server.instance, server.pid)
  for (const marked of findMarked(home)) if (isAlive(marked.pid, marked.startTime)) add(marked.instance, marked.pid)
  return new Map([...found].map(([instance, pids]) => [instance, [...pids].sort((a, b) => a - b)]))
}
