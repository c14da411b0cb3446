import { backoffDelay } from "./backoff.js"
import type { Event } from "./events.js"
import type { InstanceState } from "./instances.js"

export type Action = "spawn" | "stop" | "schedule" | "none"

/**
 * What the daemon does about one instance at `now`, from its folded state alone: stop a process
 * that should be down, is being restarted, waits for a restart or was given up on (it was
 * unhealthy); schedule a restart for one that exited or turned unhealthy (the decider's
 * `Supervise` says which: decide.ts); spawn one that was asked for, or whose restart is due.
 */
export const reconcile = (instance: InstanceState, now: number): Action => {
  const policy = instance.restart_policy
  const wanted = instance.desired === "up" && !instance.start_pending
  if (instance.pid !== null) {
    // Given up on while it still runs (unhealthy): a failed instance serves nothing until `orch up`.
    if (instance.desired === "down" || instance.restart_pending || instance.next_restart !== null || instance.status === "failed") return "stop"
    return wanted && policy.enabled && instance.health === "unhealthy" ? "schedule" : "none"
  }
  if (instance.desired === "up" && instance.start_pending) return "spawn"
  if (instance.next_restart !== null) return instance.next_restart.due_at <= now ? "spawn" : "none"
  return wanted && policy.enabled && instance.status === "stopped" && instance.health === "error" ? "schedule" : "none"
}

/** The restart policy's answer to an exit or an unhealthy server: the next attempt, or giving up. */
export const decideRestart = (instance: InstanceState, now: number): Event => {
  const policy = instance.restart_policy
  const attempt = instance.attempts + 1
  if (attempt > policy.max_retries) return { _tag: "RestartGaveUp", attempts: instance.attempts }
  const delay = backoffDelay(policy, attempt)
  return { _tag: "RestartScheduled", attempt, delay_ms: delay, due_at: now + delay, reason: instance.pid !== null ? "unhealthy" : instance.start_failed_at !== null ? "failed_start" : "exited" }
}

/**
 * A server of this home, found by its markers, that no one tracks (spawned by a daemon that died
 * before recording it): adopted if its instance is wanted up and the daemon runs no other server
 * for it (`tracking`), stopped otherwise.
 */
export const claim = (instance: InstanceState | undefined, tracking: boolean): "adopt" | "stop" =>
  instance?.desired === "up" && !tracking ? "adopt" : "stop"
