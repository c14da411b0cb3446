/**
 * Server logs carry no times of their own, so beside each log the daemon keeps marks: a line
 * "<ms since epoch> <size in bytes>" whenever it finds the log grown (every LOG_CHECK_MS). A
 * rotation starts the marks again. `orch logs --since T` starts at the size of the newest mark
 * at or before T: all that was written since T, and at most one check interval more.
 */
export const markLine = (at: number, size: number) => `${at} ${size}\n`

/** Where output written since `since` begins, from the marks' text; 0 when no mark is that old. */
export const offsetSince = (marks: string, since: number): number => {
  let offset = 0
  for (const line of marks.split("\n")) {
    const [at, size] = line.split(" ").map(Number)
    if (at === undefined || size === undefined || !Number.isFinite(at) || !Number.isFinite(size)) continue
    if (at > since) break
    offset = size
  }
  return offset
}
