import * as fs from "node:fs"
import { sizeOf } from "../runtime/log-rotation.js"

const CHUNK = 64 * 1024

/** A whole small file as text; empty if it is not there. */
export const readText = (file: string) => readRange(file, 0, sizeOf(file) ?? 0).toString("utf8")

/** Bytes [from, to) of a file; empty if it is shorter or gone. */
export const readRange = (file: string, from: number, to: number): Buffer => {
  if (to <= from) return Buffer.alloc(0)
  let fd: number
  try {
    fd = fs.openSync(file, "r")
  } catch {
    return Buffer.alloc(0)
  }
  try {
    const buffer = Buffer.alloc(to - from)
    const read = fs.readSync(fd, buffer, 0, buffer.length, from)
    return buffer.subarray(0, read)
  } finally {
    fs.closeSync(fd)
  }
}

/** Where the last `lines` lines of a file begin (0 for all), reading backwards a chunk at a time. */
export const startOfLastLines = (file: string, size: number, lines: number | undefined): number => {
  if (lines === undefined) return 0
  if (lines <= 0) return size
  let found = 0
  let end = size
  while (end > 0) {
    const start = Math.max(0, end - CHUNK)
    const chunk = readRange(file, start, end)
    for (let i = chunk.length - 1; i >= 0; i--) {
      // A final newline ends the last line; it does not start another.
      if (chunk[i] !== 0x0a || start + i === size - 1) continue
      if (++found === lines) return start + i + 1
    }
    end = start
  }
  return 0
}

export interface Follower {
  /** What was written since the last look: after a rotation, the rest of the copy (`.1`), then the new file. */
  readonly next: () => Buffer
}

/** What identifies a version of a file: a rotation makes a new `.1`. */
const signature = (file: string) => {
  try {
    const stat = fs.statSync(file)
    return `${stat.ino}:${stat.size}:${stat.mtimeMs}`
  } catch {
    return "none"
  }
}

/** How much of the start of a file and its copy is compared to tell whether the file was emptied since. */
const PREFIX = 4_096

/** Whether `file` still holds, at its start, all that `.1` holds: copied, but not emptied yet. */
const stillBeginsWithCopy = (file: string, size: number) => {
  const copySize = sizeOf(`${file}.1`) ?? 0
  if (copySize === 0 || size < copySize) return false
  const length = Math.min(copySize, PREFIX)
  return readRange(file, 0, length).equals(readRange(`${file}.1`, 0, length))
}

/**
 * Follows a log the daemon rotates by copy-truncate. A rotation shows as a new `.1` (the file
 * itself may have grown past our offset again by the time we look): what we had not read yet
 * is at our offset in `.1`, and the rest in the file from its start.
 */
export const followFrom = (file: string, offset: number): Follower => {
  let at = offset
  let copy = signature(`${file}.1`)
  return {
    next: () => {
      const size = sizeOf(file) ?? 0
      const copyNow = signature(`${file}.1`)
      // A new copy, and the file not emptied yet (the daemon copies, then truncates): it is still
      // the file we were reading, its start what was copied. Read on; the rotation is taken once whole.
      if (copyNow !== copy && !stillBeginsWithCopy(file, size)) {
        copy = copyNow
        const missed = readRange(`${file}.1`, at, sizeOf(`${file}.1`) ?? 0)
        at = 0
        return Buffer.concat([missed, readOn(size)])
      }
      // Emptied by someone else: start again from the top.
      if (size < at) at = 0
      return readOn(size)
    }
  }
  function readOn(size: number) {
    const fresh = readRange(file, at, size)
    at += fresh.length
    return fresh
  }
}
