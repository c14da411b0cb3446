import * as fs from "node:fs"
import { markLine } from "../domain/log-marks.js"

/** How often the daemon looks at the size of its servers' logs. */
export const LOG_CHECK_MS = 5_000

/** A file's size, or undefined when it is not there (yet). */
export const sizeOf = (file: string) => {
  try {
    return fs.statSync(file).size
  } catch {
    return undefined
  }
}

/**
 * Copy-truncate: the server keeps writing through its own file descriptor (opened for append),
 * so the file is copied to `.1`, older copies shifted up to `.keep` (the oldest dropped), and
 * then emptied. As with logrotate's copytruncate, what the server writes between the copy and
 * the truncate is lost. Answers the size rotated out, or undefined when there was nothing to do.
 */
export const rotateIfLarge = (file: string, maxSize: number, keep: number, size = sizeOf(file)): number | undefined => {
  if (size === undefined || size <= maxSize) return undefined
  for (let i = keep - 1; i >= 1; i--) if (fs.existsSync(`${file}.${i}`)) fs.renameSync(`${file}.${i}`, `${file}.${i + 1}`)
  fs.copyFileSync(file, `${file}.1`)
  fs.truncateSync(file, 0)
  fs.rmSync(marksOf(file), { force: true })
  return size
}

export const marksOf = (file: string) => `${file}.marks`

/** Notes the log's size beside it if it grew since `lastSize` (see domain/log-marks.ts): the size now. */
const markIfGrown = (file: string, at: number, lastSize: number | undefined, size = sizeOf(file)): number | undefined => {
  if (size === undefined) return lastSize
  if (size !== lastSize && size > 0) fs.appendFileSync(marksOf(file), markLine(at, size))
  return size
}

/** One look at one log: rotated if too large, then marked if grown. One stat, unless it was rotated. */
export const upkeep = (file: string, limits: { readonly max_size: number; readonly keep: number }, at: number, lastSize: number | undefined) => {
  const size = sizeOf(file)
  const rotated = rotateIfLarge(file, limits.max_size, limits.keep, size)
  return { rotated, size: rotated === undefined ? markIfGrown(file, at, lastSize, size) : markIfGrown(file, at, undefined) }
}
