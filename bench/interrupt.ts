/**
 * Clean-ups that must also run when a bench is interrupted (Ctrl-C, SIGTERM), where a `finally`
 * never runs: the processes it started (a daemon, pm2) are stopped, newest first, then it exits.
 * A signal is handled once the synchronous step under way returns; a Ctrl-C also stops the command
 * being timed, whose failure ends the bench sooner, through its `finally`.
 */
const cleanUps = new Set<() => void>()

const onSignal = (signal: NodeJS.Signals) => {
  for (const cleanUp of [...cleanUps].reverse()) {
    try {
      cleanUp()
    } catch {
      // The next one still runs.
    }
  }
  process.exit(signal === "SIGINT" ? 130 : 143)
}

/** Runs `cleanUp` if the bench is interrupted before the returned function is called. */
export const onInterrupt = (cleanUp: () => void) => {
  if (cleanUps.size === 0) for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, onSignal)
  cleanUps.add(cleanUp)
  return () => void cleanUps.delete(cleanUp)
}
