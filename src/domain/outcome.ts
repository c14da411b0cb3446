import { formatDuration } from "./duration.js"
import { howItEnded } from "./ending.js"
import type { InstanceState } from "./instances.js"

/**
 * When a request (up, down, restart) is done, read off the folded state: for every door that
 * waits for one (the CLI, the API). `text` says how it ended, as a person reads it.
 */
export type Outcome = { readonly done: true; readonly ok: boolean; readonly text: string } | { readonly done: false }

/** Done when a process asked for at `requestedAt` (or one already running) answers healthy. */
export const healthySince = (requestedAt: number, needsNewProcess: boolean) => (instance: InstanceState, now: number): Outcome => {
  if (instance.start_pending || instance.restart_pending) return { done: false }
  if (instance.pid !== null && instance.started_at !== null) {
    if (needsNewProcess && instance.started_at < requestedAt) return { done: false }
    if (instance.health === "healthy") {
      return { done: true, ok: true, text: `healthy (pid ${instance.pid}, up ${formatDuration(Math.floor((now - instance.started_at) / 1000) * 1000)})` }
    }
    if (instance.health === "unhealthy") {
      const reason = instance.probes.at(-1)?.reason
      return { done: true, ok: false, text: `unhealthy${reason === undefined ? "" : `: ${reason}`} (the daemon restarts it; see \`orch health ${instance.name}\`)` }
    }
    return { done: false }
  }
  if (instance.status === "failed") return { done: true, ok: false, text: `not started: ${instance.last_error ?? "failed"}` }
  if (instance.start_failed_at !== null && instance.start_failed_at >= requestedAt) {
    return { done: true, ok: false, text: `not started: ${instance.last_error ?? "failed"} (the daemon tries again under its restart_policy; see \`orch events --instance ${instance.name}\`)` }
  }
  if (instance.last_exit !== null && instance.last_exit.at >= requestedAt) {
    const next = instance.next_restart === null ? "" : `; restart ${instance.next_restart.attempt} is scheduled (see \`orch events\`)`
    return { done: true, ok: false, text: `it ${howItEnded(instance.last_exit)}${next}` }
  }
  return { done: false }
}

/** Done when no server runs and none is being stopped. */
export const stopped = (instance: InstanceState): Outcome =>
  instance.pid === null && instance.status !== "stopping" ? { done: true, ok: true, text: "stopped" } : { done: false }
