import { Args, Options } from "@effect/cli"
import { integerOption } from "./option-values.js"
import { homeOption } from "./options.js"
import { formatDuration } from "../domain/duration.js"
import type { InstanceState } from "../domain/instances.js"
import type { Outcome } from "./requests.js"

export const namesArg = Args.text({ name: "name" }).pipe(Args.repeated, Args.withDescription("The instances (or --all)"))
export const allOption = Options.boolean("all").pipe(Options.withDescription("Every instance (default: off)"))
export const noWaitOption = Options.boolean("no-wait").pipe(Options.withDescription("Return once the request is recorded (default: wait)"))
export const timeoutOption = integerOption("timeout", "seconds to wait, for example --timeout 120").pipe(
  Options.withPseudoName("SECONDS"),
  Options.optional,
  Options.withDescription("How long to wait before giving up, exit 1 (default: the longest healthcheck.start_period + 30 s)")
)

const exitText = (instance: InstanceState) =>
  instance.last_exit === null ? "it exited" : instance.last_exit.signal !== null ? `it was killed by ${instance.last_exit.signal}` : `it exited with code ${instance.last_exit.code}`

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
    return { done: true, ok: false, text: `${exitText(instance)}${next}` }
  }
  return { done: false }
}

export const stopped = (instance: InstanceState): Outcome =>
  instance.pid === null && instance.status !== "stopping" ? { done: true, ok: true, text: "stopped" } : { done: false }

export const lifecycleOptions = { names: namesArg, all: allOption, noWait: noWaitOption, timeout: timeoutOption, home: homeOption }
