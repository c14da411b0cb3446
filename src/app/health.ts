import type { Envelope } from "../domain/events.js"
import type { InstanceState, State } from "../domain/instances.js"
import type { HealthAllJson, HealthJson } from "./shapes.js"

/**
 * The values of `orch health --json`, which `GET /api/v1/health/instances` and
 * `GET /api/v1/instances/:name/health` send alike: the CLI and the API draw their text from these.
 */

/** What both shapes show of an instance, but its probes: `--all` gives the fold's, one instance the journal's. */
const fields = (instance: InstanceState) => ({
  name: instance.name,
  health: instance.health,
  since: instance.health_since,
  status: instance.status,
  consecutive_failures: instance.consecutive_failures,
  attempts: instance.attempts,
  next_restart: instance.next_restart
})

/** Every instance with a history, in the fold's order, with the newest probes the fold keeps. */
export const healthAllJson = (state: State | undefined): HealthAllJson =>
  Object.values(state?.instances ?? {}).map((instance) => ({ ...fields(instance), probes: instance.probes }))

/** The fold's instance of this name, if it has a history: looked for by value, as "constructor" is a name too. */
export const withHistory = (state: State | undefined, name: string): InstanceState | undefined =>
  Object.values(state?.instances ?? {}).find((instance) => instance.name === name)

/** One instance, with its probes as read from the journal (HealthProbed envelopes, oldest first). */
export const healthJson = (instance: InstanceState, recent: ReadonlyArray<Envelope>): HealthJson => ({
  ...fields(instance),
  retries: instance.retries,
  max_retries: instance.restart_policy.max_retries,
  probes: recent.flatMap(({ at, event }) => (event._tag === "HealthProbed" ? [{ at, ...event }] : []))
})
