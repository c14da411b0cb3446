import { execFileSync } from "node:child_process"
import pidtree from "pidtree"
import type { Platform } from "./platform.js"

const signal = (pid: number, name: NodeJS.Signals) => {
  try {
    process.kill(pid, name)
  } catch {
    // Already gone: that is what we wanted.
  }
}

/**
 * What every POSIX system shares: a server is spawned detached as the leader of its own process
 * group, and is stopped and killed through that group, so that what it forked goes with it.
 */
export const posixSignals: Pick<Platform, "askToStop" | "descendants" | "killTree" | "killLeftovers" | "spawnOptions"> = {
  askToStop: (pid) => {
    signal(-pid, "SIGTERM")
    // A stopped process (SIGSTOP, a debugger, a wedged server frozen for a look) acts on SIGTERM
    // only once it runs again: systemd sends SIGCONT after SIGTERM for the same reason.
    signal(-pid, "SIGCONT")
    return true
  },
  descendants: (pid) => pidtree(pid).catch(() => [] as Array<number>),
  killTree: (pid, descendants) => {
    signal(-pid, "SIGKILL")
    // Wrappers such as `llama serve` may have forked into groups of their own.
    for (const child of descendants) signal(child, "SIGKILL")
    signal(pid, "SIGKILL")
  },
  killLeftovers: (pid) => signal(-pid, "SIGKILL"),
  spawnOptions: { detached: true, windowsHide: false }
}

/** A process's state letter and start time as `ps -o state=,lstart=` prints them. */
const readPs = (pid: number): { readonly state: string; readonly startTime: string } | undefined => {
  try {
    const out = execFileSync("ps", ["-o", "state=,lstart=", "-p", String(pid)], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim()
    return out === "" ? undefined : { state: out.slice(0, 1), startTime: out.slice(1).trim() }
  } catch {
    return undefined
  }
}

/**
 * macOS and the BSDs: `ps` for identity. A process's environment is not readable there without
 * privileges, so a server is found by the journal alone.
 */
export const posix: Platform = {
  name: "posix",
  startTimeOf: (pid) => readPs(pid)?.startTime,
  isAlive: (pid, startTime) => {
    const seen = readPs(pid)
    return seen !== undefined && seen.startTime === startTime && seen.state !== "Z"
  },
  findMarked: () => [],
  ...posixSignals
}
