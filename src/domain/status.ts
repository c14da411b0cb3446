import type { Event, EventType } from "./events.js"
import { type InstanceState, type State, type Status, evolve } from "./instances.js"

/**
 * Which status each event may move an instance from, and to (llama-swap's process.go keeps such a
 * table). A pair missing here cannot happen: nothing the daemon decides or does leads to it, and
 * the tests hold the decider and the supervisor's plan to that. The fold stays total all the same
 * (an old journal must replay): this table is what the tests check it against.
 */
export type Moves = { readonly [S in Status]?: ReadonlyArray<Status> }

export const STATUSES: ReadonlyArray<Status> = ["stopped", "starting", "running", "stopping", "backoff", "failed"]

const stays: Moves = { stopped: ["stopped"], starting: ["starting"], running: ["running"], stopping: ["stopping"], backoff: ["backoff"], failed: ["failed"] }

// An explicit start is a fresh chance: a failed instance is "stopped" again (even while the server
// given up on still runs, until the daemon stops it).
const requested: Moves = { ...stays, failed: ["stopped"] }

export const TRANSITIONS: { readonly [T in EventType]: Moves } = {
  ConfigApplied: stays,
  StartRequested: requested,
  RestartRequested: requested,
  // "stopped" with a server: one given up on and asked up again before the daemon stopped it.
  StopRequested: { stopped: ["stopped", "stopping"], starting: ["stopping"], running: ["stopping"], stopping: ["stopping"], backoff: ["stopped"], failed: ["failed", "stopping"] },
  ProcessSpawned: { stopped: ["starting"], backoff: ["starting"] },
  // After the ProcessExited of a server that never got ready, or instead of a spawn.
  SpawnFailed: { stopped: ["stopped", "failed"], backoff: ["stopped", "failed"] },
  // A server given up on that exits before the daemon stops it is "stopped" again, and given up on again.
  ProcessExited: { stopped: ["stopped", "backoff"], starting: ["stopped", "backoff"], running: ["stopped", "backoff"], stopping: ["stopped", "backoff"], failed: ["stopped"] },
  // Also a server that no one recorded, stopped by a daemon taking over: the instance's own status then stays.
  ProcessStopped: {
    stopped: ["stopped"],
    starting: ["stopped", "backoff", "starting"],
    running: ["stopped", "backoff", "running"],
    stopping: ["stopped", "backoff", "stopping"],
    backoff: ["backoff"],
    failed: ["failed"]
  },
  // An instance without a server gets one (a start); one with its recorded server keeps it.
  ProcessAdopted: {
    stopped: ["starting", "running"],
    starting: ["starting"],
    running: ["running"],
    stopping: ["starting", "running"],
    backoff: ["starting"],
    failed: ["starting", "running"]
  },
  ProcessLost: { stopped: ["stopped"], starting: ["stopped"], running: ["stopped"], stopping: ["stopped"], failed: ["stopped"] },
  HealthProbed: { ...stays, starting: ["starting", "running"] },
  // Without a server it waits (backoff); with one (unhealthy) it runs until the daemon stops it.
  RestartScheduled: { stopped: ["backoff", "stopped"], starting: ["starting"], running: ["running"] },
  RestartGaveUp: { stopped: ["failed"], starting: ["failed"], running: ["failed"] },
  RequestServed: stays,
  LogRotated: stays,
  DaemonStarted: stays,
  DaemonStopped: stays,
  ApiListening: stays,
  ApiFailed: stays,
  JournalCompacted: stays,
  DevicesListed: stays
}

/**
 * What is impossible about `event` happening to `instance`, if anything: a status move the table
 * does not list, or a server that is not the one the instance has.
 */
export const transitionProblem = (instance: InstanceState, event: Event, at: number): string | undefined => {
  const { pid } = instance
  switch (event._tag) {
    case "ProcessSpawned":
      if (pid !== null) return `ProcessSpawned (pid ${event.pid}) while pid ${pid} runs`
      break
    case "ProcessAdopted":
      if (pid !== null && pid !== event.pid) return `ProcessAdopted (pid ${event.pid}) while pid ${pid} runs`
      break
    case "ProcessExited":
    case "ProcessLost":
      if (pid !== event.pid) return `${event._tag} of pid ${event.pid}, but the instance's server is ${pid ?? "none"}`
      break
  }
  const state: State = { seq: 0, base_seq: 0, instances: { [instance.name]: instance }, daemon: null }
  const to = evolve(state, { seq: 1, at, instance: instance.name, event }).instances[instance.name]!.status
  const allowed = TRANSITIONS[event._tag][instance.status]
  if (allowed === undefined) return `${event._tag} cannot happen to a ${instance.status} instance`
  return allowed.includes(to) ? undefined : `${event._tag} moved a ${instance.status} instance to ${to}`
}
