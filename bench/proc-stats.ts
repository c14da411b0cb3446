/** What a process costs, read from /proc (Linux): CPU time used so far and resident memory. */
import * as fs from "node:fs"

const TICKS_PER_SECOND = 100

/** User + system CPU time of `pid` so far, in ms. */
export const cpuMs = (pid: number) => {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND
}

/** Resident set size of `pid`, in MiB. */
export const rssMiB = (pid: number) => {
  const line = fs.readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:")) ?? "VmRSS: 0 kB"
  return Number(line.split(/\s+/)[1]) / 1024
}
