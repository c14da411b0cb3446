/**
 * What differs between the operating systems the daemon runs its servers on (issue 20), and
 * nothing else: the identity of a process, whether it is alive, finding this home's servers, a
 * graceful stop, a forced tree kill, and how a server is spawned so that it outlives the daemon.
 * One implementation per platform (linux.ts, posix.ts for macOS and the BSDs, windows.ts),
 * chosen once at start (current.ts); everything above it (spawn.ts, stop.ts, the Processes
 * service) is the same code everywhere.
 */

/** A server of a home, found without the journal (by its markers, or on Windows its command line). */
export interface Marked {
  readonly pid: number
  readonly instance: string
  readonly startTime: string
}

export interface Platform {
  readonly name: "linux" | "posix" | "windows"
  /**
   * The start time that, with the pid, is a process's identity (a pid alone may have been reused
   * by the time we look again); undefined when no such process runs. A zombie still has one.
   */
  readonly startTimeOf: (pid: number) => string | undefined
  /** Whether the process that had this identity still runs (a zombie does not). */
  readonly isAlive: (pid: number, startTime: string) => boolean
  /** This home's servers that run, found without the journal: one spawned just before a daemon died included. */
  readonly findMarked: (home: string) => ReadonlyArray<Marked>
  /**
   * Asks the server to end as its own SIGTERM or Ctrl-C would. False where that cannot be asked
   * (Windows): then the stop is a kill at once, not after a grace period waited out for nothing.
   */
  readonly askToStop: (pid: number) => boolean
  /** The process's descendants now, to be killed too if it must be forced (they may outlive it otherwise). */
  readonly descendants: (pid: number) => Promise<ReadonlyArray<number>>
  /** Ends the process and every descendant at once, whatever they are doing. */
  readonly killTree: (pid: number, descendants: ReadonlyArray<number>) => void
  /** After the server ended on being asked: ends what it left running, where that can still be found. */
  readonly killLeftovers: (pid: number) => void
  /** How a server is spawned so that it outlives the daemon, its output going to its log files. */
  readonly spawnOptions: { readonly detached: true; readonly windowsHide: boolean }
}
