import { constants, type Stats } from "node:fs"
import * as fs from "node:fs/promises"

/** What stands at a path that is not a regular file, in an operator's words; undefined for a file. */
export const notAFile = (stat: Stats): string | undefined => {
  if (stat.isFile()) return undefined
  if (stat.isDirectory()) return "a folder"
  if (stat.isFIFO()) return "a FIFO"
  if (stat.isSocket()) return "a socket"
  if (stat.isCharacterDevice()) return "a character device"
  if (stat.isBlockDevice()) return "a block device"
  return "a special file"
}

/**
 * Opens a file for reading without ever blocking: opening a FIFO blocks until a writer comes,
 * and reading a device may never end. The caller checks the handle's stat before reading.
 */
export const openNonBlocking = (file: string) => fs.open(file, constants.O_RDONLY | constants.O_NONBLOCK)
