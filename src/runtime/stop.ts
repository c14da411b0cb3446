import { Clock, Effect } from "effect"
import { crashPoint } from "./crash-point.js"
import { platform } from "./platform/current.js"

const { isAlive } = platform

/** Every descendant of `pid`, found before the first signal changes the tree. */
const descendants = (pid: number) => Effect.promise(() => platform.descendants(pid))

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
 * Asks the server to stop (SIGTERM to its process group), `timeoutMs` to go, then kills it and
 * every descendant: wrappers such as `llama serve` may have forked. Where a server cannot be
 * asked (Windows), it is killed at once. Only a process that still has the recorded identity is
 * ever signalled.
 */
export const stopProcess = (pid: number, startTime: string, timeoutMs: number) =>
  Effect.gen(function* () {
    const started = yield* Clock.currentTimeMillis
    if (!isAlive(pid, startTime)) return { how: "graceful", took_ms: 0 } satisfies Stopped
    const tree = yield* descendants(pid)
    const asked = platform.askToStop(pid)
    yield* crashPoint("stop-signalled")
    if (asked && (yield* waitGone(pid, startTime, timeoutMs))) {
      platform.killLeftovers(pid)
      return { how: "graceful", took_ms: (yield* Clock.currentTimeMillis) - started } satisfies Stopped
    }
    // Looked at again only if the tree had time to change: where the server was not asked
    // (Windows, where each look is a PowerShell run), the first look is a moment old.
    const now = asked ? yield* descendants(pid) : []
    platform.killTree(pid, [...new Set([...tree, ...now])])
    yield* waitGone(pid, startTime, 5_000)
    return { how: "killed", took_ms: (yield* Clock.currentTimeMillis) - started } satisfies Stopped
  })
