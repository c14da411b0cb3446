/** How a process ended. */
export interface Ending {
  readonly code: number | null
  readonly signal: string | null
}

/**
 * The one wording of how a process ended: by a signal, with a code, or unknown, as for an adopted
 * process (not our child, so its end is not ours to see). `cell` is the short form of a table
 * column, where no ending is "-"; `words` follows "exited with" in a sentence.
 */
export const exitText = (ending: Ending | null, form: "words" | "cell"): string => {
  if (ending === null) return "-"
  if (ending.signal !== null) return form === "cell" ? ending.signal : `signal ${ending.signal}`
  if (ending.code !== null) return `code ${ending.code}`
  return form === "cell" ? "unknown" : "an unknown code (adopted)"
}

/** The same as a sentence's verb: "was killed by SIGKILL", "exited with code 1", or "exited". */
export const howItEnded = (ending: Ending | null): string =>
  ending === null || (ending.signal === null && ending.code === null)
    ? "exited"
    : ending.signal !== null
      ? `was killed by ${ending.signal}`
      : `exited with code ${ending.code}`
