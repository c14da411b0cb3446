import { Context, Effect, Option, Schedule } from "effect"
import type { InstanceConfig } from "../domain/config.js"
import type { CrashPoint } from "./crash-point.js"
import type { Marked } from "./platform/platform.js"
import type { SpawnRefused } from "./spawn.js"
import type { Stopped } from "./stop.js"

export type { CrashPoint } from "./crash-point.js"
export { SpawnRefused } from "./spawn.js"
export type { Marked } from "./platform/platform.js"
export type { Stopped } from "./stop.js"

/** A process as the daemon knows it (DESIGN.md §6): a pid alone may have been reused since. */
export interface Identity {
  readonly pid: number
  readonly startTime: string
}


export interface ExitStatus {
  readonly code: number | null
  readonly signal: string | null
}

/** A server this service spawned: its child, whose exit status it alone can know. */
export interface Child extends Identity {
  /** Redacted: this is what the journal records. */
  readonly argv: ReadonlyArray<string>
  readonly stdout: string
  readonly stderr: string
  /** Where this run's stderr begins in the (appended) log file. */
  readonly stderrOffset: number
  /** Waits for the child to end; at once if it has. */
  readonly exit: Effect.Effect<ExitStatus>
}

/**
 * How often a process that is not our child is looked at for life: nobody tells us when it ends.
 * Each look is one read of /proc on Linux; a second's latency on an adopted server's exit is the price.
 */
export const EXIT_POLL_MS = 500

/**
 * Everything the daemon does to processes, behind one service (DESIGN.md §6): a live layer over
 * the OS (processes-live.ts) and an in-memory one on Effect's Clock for tests (processes-memory.ts).
 */
export class Processes extends Context.Tag("llama-orch/Processes")<
  Processes,
  {
    /**
     * Starts an instance's server, detached, its output going to its log files and its
     * environment carrying the home's markers. Passes the crash point "spawned" once it runs.
     */
    readonly spawn: (home: string, instance: string, config: InstanceConfig) => Effect.Effect<Child, SpawnRefused>
    /**
     * Asks it to stop (SIGTERM; Ctrl-C on Windows), `timeoutMs` to go, then kills it and its
     * descendants; only a process that still has this identity is signalled. Passes the crash
     * point "stop-signalled" after the asking.
     */
    readonly stop: (process: Identity, timeoutMs: number) => Effect.Effect<Stopped>
    /** Whether the process with this identity still runs (a zombie does not). */
    readonly isAlive: (process: Identity) => Effect.Effect<boolean>
    /** The live servers of this home, by their markers: journaled or not, ours or a dead daemon's. */
    readonly findMarked: (home: string) => Effect.Effect<ReadonlyArray<Marked>>
    /**
     * Waits until the process ends: for a child of this service, with its exit status; for any
     * other process (adopted from a dead daemon), only that it went, seen by a look every
     * EXIT_POLL_MS. Interrupt it to stop watching.
     */
    readonly awaitExit: (process: Identity) => Effect.Effect<Option.Option<ExitStatus>>
    /** The last `count` non-empty lines a run wrote to its stderr log since `offset`. */
    readonly stderrTail: (file: string, offset: number, count: number) => Effect.Effect<ReadonlyArray<string>>
    /**
     * Where the daemon may die between an action and its record (issue 15): the daemon passes
     * "adopting", "losing" and "stopped" here; spawn and stop pass their own points.
     */
    readonly crashPoint: (point: CrashPoint) => Effect.Effect<void>
  }
>() {}

/** Looks until `alive` says no: the one way to see a process that is not ours end. */
export const pollUntilGone = (alive: Effect.Effect<boolean>): Effect.Effect<Option.Option<ExitStatus>> =>
  alive.pipe(
    Effect.repeat({ schedule: Schedule.spaced(EXIT_POLL_MS), while: (running) => running }),
    Effect.as(Option.none())
  )
