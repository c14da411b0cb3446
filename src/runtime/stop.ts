import { Clock, Effect } from "effect"
import pidtree from "pidtree"
import { crashPoint } from "./crash-point.js"
import { isAlive } from "./proc.js"

const signal = (pid: number, name: NodeJS.Signals) => {
  try {
    process.kill(pid, name)
  } catch {
    // Already gone: that is what we wanted.
  }
}

/** Every descendant of `pid`, found before the first signal changes the tree. */
const descendants = (pid: number) => Effect.promise(() => pidtree(pid).catch(() => [] as Array<number>))

const POLL_MS = 25

/** Waits until the process with this identity is gone, at most `ms`: true if it went. */
const waitGone = (pid: number, startTime: string, ms: number) =>
  Effect.gen(function* () {
    const deadline = (yield* Clock.currentTimeMillis) + ms
    while (isAlive(pid, startTime)) {
      if ((yield* Clock.currentTimeMillis) >= deadline) return false
      yield* Effect.sleep(POLL_MS)
    }
    return true
  })

export interface Stopped {
  readonly how: "graceful" | "killed"
  readonly took_ms: number
}

/**
 * SIGTERM to the server's process group, `timeoutMs` to go, then SIGKILL to the group and every
 * descendant (wrappers such as `llama serve` may have forked). Only a process that still has
 * the recorded identity is ever signalled.
 */
export const stopProcess = (pid: number, startTime: string, timeoutMs: number) =>
  Effect.gen(function* () {
    const started = yield* Clock.currentTimeMillis
    if (!isAlive(pid, startTime)) return { how: "graceful", took_ms: 0 } satisfies Stopped
    const tree = yield* descendants(pid)
    signal(-pid, "SIGTERM")
    // A stopped process (SIGSTOP, a debugger, a wedged server frozen for a look) acts on SIGTERM
    // only once it runs again: systemd sends SIGCONT after SIGTERM for the same reason.
    signal(-pid, "SIGCONT")
    yield* crashPoint("stop-signalled")
    if (yield* waitGone(pid, startTime, timeoutMs)) {
      // The leader went; anything left in its group goes with it.
      signal(-pid, "SIGKILL")
      return { how: "graceful", took_ms: (yield* Clock.currentTimeMillis) - started } satisfies Stopped
    }
    signal(-pid, "SIGKILL")
    for (const child of [...tree, ...(yield* descendants(pid))]) signal(child, "SIGKILL")
    signal(pid, "SIGKILL")
    yield* waitGone(pid, startTime, 5_000)
    return { how: "killed", took_ms: (yield* Clock.currentTimeMillis) - started } satisfies Stopped
  })
