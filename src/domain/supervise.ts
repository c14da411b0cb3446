import type { InstanceState } from "./instances.js"

export type Action = "spawn" | "stop" | "none"

/**
 * What the daemon does about one instance, from its folded state alone: stop a process that
 * should be down (or is being restarted), spawn one that was asked for and is not there.
 * An exit by itself asks for nothing: restarts come from the restart policy's own events.
 */
export const reconcile = (instance: InstanceState): Action => {
  if (instance.pid !== null) return instance.desired === "down" || instance.restart_pending ? "stop" : "none"
  return instance.desired === "up" && instance.start_pending ? "spawn" : "none"
}
