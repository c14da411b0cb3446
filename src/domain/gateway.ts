import type { InstanceConfig } from "./config.js"
import type { InstanceState } from "./instances.js"

/**
 * The gateway's decisions (DESIGN.md §9), pure: which instance a request's `model` names, whether
 * its server can take the request now, must be waited for or started, and which servers have been
 * idle past their ttl. The gateway (src/http/gateway/) acts on them and journals what it asks.
 */

/** An instance as the gateway routes to it: its name, and its config's `gateway` section. */
export interface Route {
  readonly name: string
  readonly gateway: InstanceConfig["gateway"]
}

/** The instance a `model` names: by its name first, then by an alias (lint keeps aliases unique). */
export const routeFor = <R extends Route>(model: string, routes: ReadonlyArray<R>): R | undefined =>
  routes.find((route) => route.name === model) ?? routes.find((route) => route.gateway.aliases.includes(model))

export type Readiness =
  /** Its server is healthy: send the request. */
  | { readonly _tag: "Ready" }
  /** A server is on its way (starting, loading, restarting after a crash or a hang): wait for it. */
  | { readonly _tag: "Wait" }
  /** None is wanted, and the config says start on demand: ask for a start, then wait. */
  | { readonly _tag: "Start" }
  /** None is wanted and none will be: answer 503 with this. */
  | { readonly _tag: "Refuse"; readonly message: string }

/** Whether its server can take a request: wanted, running, healthy, and not about to be restarted. */
export const serving = (instance: InstanceState | undefined): boolean =>
  instance !== undefined && instance.desired === "up" && instance.pid !== null && instance.health === "healthy" && instance.status === "running" && !instance.restart_pending

/** Whether a request for this instance can go now (instance undefined: the journal knows nothing of it yet). */
export const readiness = (route: Route, instance: InstanceState | undefined): Readiness => {
  if (instance !== undefined && instance.desired === "up" && instance.status !== "failed") return serving(instance) ? { _tag: "Ready" } : { _tag: "Wait" }
  if (route.gateway.on_demand) return { _tag: "Start" }
  const name = route.name
  return instance?.status === "failed"
    ? { _tag: "Refuse", message: `${name} failed: ${instance.last_error ?? "it did not start"}; \`orch up ${name}\` tries again (\`orch logs ${name} --stderr\` says why)` }
    : { _tag: "Refuse", message: `${name} is not running: start it with \`orch up ${name}\`, or set gateway.on_demand in its config` }
}

export type Waited = { readonly done: false } | { readonly done: true; readonly ok: true } | { readonly done: true; readonly ok: false; readonly message: string }

/**
 * Whether a request waiting (since `since`) for its server can go, or never will. A server that
 * crashes or hangs while it waits is restarted by the supervisor, and the request waits on for the
 * new one; a start that fails (its own words), a give-up, or a stop ends the wait.
 */
export const waited = (instance: InstanceState | undefined, since: number): Waited => {
  if (instance === undefined) return { done: false }
  const name = instance.name
  if (serving(instance)) return { done: true, ok: true }
  if (instance.status === "failed") return { done: true, ok: false, message: `${name} did not start: ${instance.last_error ?? "failed"}` }
  if (instance.start_failed_at !== null && instance.start_failed_at >= since) {
    return { done: true, ok: false, message: `${name} did not start: ${instance.last_error ?? "failed"} (the daemon tries again under its restart_policy)` }
  }
  if (instance.desired === "down" && !instance.start_pending) return { done: true, ok: false, message: `${name} was stopped while the request waited for it` }
  return { done: false }
}

/**
 * How long a request may wait for its server: the time the config gives it to load, plus the
 * wait for a restart already scheduled.
 */
export const waitBound = (instance: InstanceState | undefined, now: number, fallbackMs: number): number => {
  if (instance === undefined) return fallbackMs
  const restart = instance.next_restart === null ? 0 : Math.max(0, instance.next_restart.due_at - now)
  return instance.start_period_ms + restart
}

/** What the gateway knows of an instance's traffic: requests in flight, and when the newest ended. */
export interface Activity {
  readonly inFlight: number
  readonly lastAt: number
}

/**
 * The running servers idle past their ttl: none in flight, and no request since `ttl` ago (nor a
 * start: a server just up has its ttl from then). Each is to get StopRequested (by gateway, idle).
 */
export const idle = (routes: ReadonlyArray<Route>, state: Readonly<Record<string, InstanceState>>, activity: ReadonlyMap<string, Activity>, now: number): ReadonlyArray<string> =>
  routes.flatMap((route) => {
    const ttl = route.gateway.ttl
    const instance = state[route.name]
    if (ttl === undefined || instance === undefined || instance.desired !== "up" || instance.pid === null || instance.started_at === null) return []
    const seen = activity.get(route.name)
    if (seen !== undefined && seen.inFlight > 0) return []
    const since = Math.max(instance.started_at, seen?.lastAt ?? 0, instance.served.at(-1)?.at ?? 0)
    return now - since >= ttl ? [route.name] : []
  })

/**
 * The members of an exclusive group to stop before `target` may start: every other member with a
 * server or wanting one. Never two at once on one device.
 */
export const inTheWay = (group: string, target: string, routes: ReadonlyArray<Route>, state: Readonly<Record<string, InstanceState>>): ReadonlyArray<string> =>
  routes.flatMap((route) => {
    if (route.name === target || route.gateway.group !== group) return []
    const instance = state[route.name]
    return instance !== undefined && (instance.pid !== null || instance.desired === "up" || instance.status === "stopping") ? [route.name] : []
  })

/** Whether none of them has a server any more. */
export const allStopped = (names: ReadonlyArray<string>, state: Readonly<Record<string, InstanceState>>): boolean =>
  names.every((name) => {
    const instance = state[name]
    return instance === undefined || (instance.pid === null && instance.status !== "stopping")
  })

/** OpenAI's error body, which its SDKs read `message` from. */
export const openAiError = (message: string, type: string, code: string | null = null) => ({ error: { message, type, param: null, code } })
