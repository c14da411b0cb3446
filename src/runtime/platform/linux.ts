import * as fs from "node:fs"
import { HOME_MARKER, INSTANCE_MARKER } from "../../domain/argv.js"
import type { Marked, Platform } from "./platform.js"
import { posixSignals } from "./posix.js"

/**
 * A process's state and start time from /proc/<pid>/stat: the start time is field 22 (clock
 * ticks since boot).
 */
const readStat = (pid: number): { readonly state: string; readonly startTime: string } | undefined => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    // The command name (field 2) may hold spaces and parentheses: count from the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return { state: fields[0]!, startTime: fields[19]! }
  } catch {
    return undefined
  }
}

const startTimeOf = (pid: number) => readStat(pid)?.startTime

const isAlive = (pid: number, startTime: string) => {
  const stat = readStat(pid)
  return stat !== undefined && stat.startTime === startTime && stat.state !== "Z" && stat.state !== "X"
}

/** Servers of this home by the markers in their environment (/proc/<pid>/environ), running ones only. */
const findMarked = (home: string): ReadonlyArray<Marked> => {
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
    // A server that just died is a zombie until reaped: marked still, but not running.
    if (instance !== undefined && startTime !== undefined && pid !== process.pid && isAlive(pid, startTime)) found.push({ pid, instance, startTime })
  }
  return found
}

/** Linux: everything from /proc, which is one read a look and needs no privileges for our own processes. */
export const linux: Platform = { name: "linux", startTimeOf, isAlive, findMarked, ...posixSignals }
