import type { Event, EventOf, Requester } from "./events.js"
import { howItEnded } from "./ending.js"
import { configErrorIn, plainLine } from "./failed-start.js"
import { type State, newInstance } from "./instances.js"
import { decideRestart, reconcile } from "./supervise.js"

/** What the decider is told: a request (a command), or what the daemon saw or its clock brought. */
export type Input =
  /** `up`: its config as checked and written, and the hash of that. */
  | {
    readonly _tag: "Up"
    readonly instance: string
    readonly config: Readonly<Record<string, unknown>>
    readonly hash: string
    readonly by: Requester
    readonly reason?: EventOf<"StartRequested">["reason"]
  }
  | { readonly _tag: "Down"; readonly instance: string; readonly by: Requester; readonly reason?: EventOf<"StopRequested">["reason"] }
  | { readonly _tag: "Restart"; readonly instance: string; readonly by: Requester }
  /**
   * Its server ended by itself. `uptime_ms`: null when the daemon did not start it (adopted).
   * `ready`: a probe found it healthy once. `stderr`: the last lines of its stderr, as written,
   * when they are the daemon's to read (null for an adopted server, or when it was ready).
   */
  | {
    readonly _tag: "Exited"
    readonly instance: string
    readonly pid: number
    readonly code: number | null
    readonly signal: string | null
    readonly uptime_ms: number | null
    readonly ready: boolean
    readonly stderr: ReadonlyArray<string> | null
  }
  /** A daemon taking over found a server of the instance (the journal's, or one marked as its own), alive or gone. */
  | { readonly _tag: "Found"; readonly instance: string; readonly pid: number; readonly start_time: string; readonly alive: boolean }
  /** A supervisor pass at `now`: a server that exited or turned unhealthy meets the restart policy. */
  | { readonly _tag: "Supervise"; readonly instance: string }

export interface Decided {
  readonly instance: string
  readonly event: Event
}

/** Why a server that exited before it was ever ready did not start, in its own words where they say. */
const failedStart = (input: Extract<Input, { _tag: "Exited" }>, stderr: ReadonlyArray<string>): Event => {
  const tail = stderr.map(plainLine)
  // A configuration error may come before the usage text or the clean-up lines that end the output.
  const configError = configErrorIn(tail)
  const said = configError !== undefined ? [configError] : tail.slice(-3)
  return { _tag: "SpawnFailed", reason: `it ${howItEnded(input)} before it was ready${said.length > 0 ? `: ${said.join(" | ")}` : ""}`, config_error: configError !== undefined }
}

const decideEvents = (state: State, input: Input, now: number): ReadonlyArray<Event> => {
  const instance = state.instances[input.instance]
  switch (input._tag) {
    case "Up": {
      const changed = instance?.config_hash !== input.hash
      const running = instance !== undefined && instance.pid !== null
      return [
        ...(changed ? [{ _tag: "ConfigApplied", config: input.config, hash: input.hash } as const] : []),
        // A running server with a changed config is restarted to take it, as docker compose recreates.
        changed && running ? { _tag: "RestartRequested", by: input.by } : { _tag: "StartRequested", by: input.by, ...(input.reason === undefined ? {} : { reason: input.reason }) }
      ]
    }
    case "Down":
      return [{ _tag: "StopRequested", by: input.by, ...(input.reason === undefined ? {} : { reason: input.reason }) }]
    case "Restart":
      return [{ _tag: "RestartRequested", by: input.by }]
    case "Exited": {
      const exited: Event = { _tag: "ProcessExited", pid: input.pid, code: input.code, signal: input.signal, uptime_ms: input.uptime_ms }
      // Not ready, however long it loaded: it did not start. One batch, so nobody sees the exit without that.
      return !input.ready && input.stderr !== null ? [exited, failedStart(input, input.stderr)] : [exited]
    }
    case "Found":
      return [
        input.alive
          ? { _tag: "ProcessAdopted", pid: input.pid, start_time: input.start_time }
          : { _tag: "ProcessLost", pid: input.pid, reason: "it ended while no daemon was watching" }
      ]
    case "Supervise": {
      const current = instance ?? newInstance(input.instance)
      return reconcile(current, now) === "schedule" ? [decideRestart(current, now)] : []
    }
  }
}

/**
 * The one decider (DESIGN.md §4, Emmett's shape beside `evolve` and `initialState` in
 * instances.ts): from the folded state and what it is told, the events that record the decision,
 * each for its instance. Pure and synchronous: time comes in as `now`. What the daemon then does
 * (spawn, stop) is `reconcile`'s answer (supervise.ts); the facts those bring (ProcessSpawned,
 * ProcessStopped, probes) are recorded as they come. Every event it decides is a move that
 * status.ts's table allows (test/domain/status.test.ts holds it to that).
 */
export const decide = (state: State, input: Input, now: number): ReadonlyArray<Decided> =>
  decideEvents(state, input, now).map((event) => ({ instance: input.instance, event }))
