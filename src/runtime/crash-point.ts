import { Effect } from "effect"

/** Where a daemon can die between an action and its record (issue 15). */
export type CrashPoint = "spawned" | "stop-signalled" | "stopped" | "adopting" | "losing"

/**
 * For tests only: with LLAMA_ORCH_CRASH_AT set to a point, the daemon kills itself with SIGKILL
 * there, as a power cut or an OOM kill would, so that each window of the spawn, stop, restart and
 * adoption sequences can be hit on purpose instead of by chance. Unset, it does nothing.
 */
export const crashPoint = (point: CrashPoint) =>
  Effect.sync(() => {
    if (process.env["LLAMA_ORCH_CRASH_AT"] === point) process.kill(process.pid, "SIGKILL")
  })
