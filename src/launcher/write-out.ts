import * as fs from "node:fs"

/**
 * Writes to standard output's file descriptor itself: `process.stdout` would be built for it (a
 * stream, a few ms of a thin launcher's run). A reader that went away (`| head`) ends the writing
 * quietly; a non-blocking pipe that is full takes the rest through process.stdout, which waits.
 */
export const writeOut = (text: string) => {
  const bytes = Buffer.from(text)
  let done = 0
  try {
    while (done < bytes.length) done += fs.writeSync(1, bytes, done)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === "EAGAIN") process.stdout.write(bytes.subarray(done))
    else if (code !== "EPIPE") throw error
  }
}
