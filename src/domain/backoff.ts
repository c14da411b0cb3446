import type { InstanceConfig } from "./config.js"

export type RestartPolicy = InstanceConfig["restart_policy"]

/** The wait before restart number `attempt` (from 1): initial × multiplier^(attempt−1), capped. */
export const backoffDelay = (policy: RestartPolicy, attempt: number): number =>
  Math.min(Math.round(policy.initial_delay * policy.backoff_multiplier ** (attempt - 1)), policy.max_delay)
