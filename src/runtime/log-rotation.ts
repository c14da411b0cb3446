import * as fs from "node:fs"

/** How often the daemon looks at the size of its servers' logs. */
export const LOG_CHECK_MS = 5_000

/**
 * Copy-truncate: the server keeps writing through its own file descriptor (opened for append),
 * so the file is copied to `.1`, older copies shifted up to `.keep` (the oldest dropped), and
 * then emptied. As with logrotate's copytruncate, what the server writes between the copy and
 * the truncate is lost. Answers the size rotated out, or undefined when there was nothing to do.
 */
export const rotateIfLarge = (file: string, maxSize: number, keep: number): number | undefined => {
  let size: number
  try {
    size = fs.statSync(file).size
  } catch {
    return undefined
  }
  if (size <= maxSize) return undefined
  for (let i = keep - 1; i >= 1; i--) if (fs.existsSync(`${file}.${i}`)) fs.renameSync(`${file}.${i}`, `${file}.${i + 1}`)
  fs.copyFileSync(file, `${file}.1`)
  fs.truncateSync(file, 0)
  return size
}
