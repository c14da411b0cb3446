import { randomBytes, timingSafeEqual } from "node:crypto"
import * as fs from "node:fs"
import { Effect } from "effect"
import { apiTokenFile } from "../config/paths.js"

const readIfThere = (file: string) => {
  try {
    return fs.readFileSync(file, "utf8").trim()
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined
    throw error
  }
}

/**
 * The API's token: made once, at a daemon's first start, from a CSPRNG, into a file only its user
 * can read; kept across restarts so that scripts and open consoles keep working. A file made
 * readable by others since is narrowed again.
 */
export const ensureApiToken = (home: string) =>
  Effect.try(() => {
    const file = apiTokenFile(home)
    const found = readIfThere(file)
    if (found !== undefined && found !== "") {
      if ((fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600)
      return found
    }
    const token = randomBytes(32).toString("base64url")
    // Written whole under another name and renamed: no reader sees half a token.
    const temp = `${file}.${process.pid}.tmp`
    fs.writeFileSync(temp, `${token}\n`, { mode: 0o600 })
    fs.renameSync(temp, file)
    return token
  })

/** The token of a home's daemon, for the CLI to print or send; undefined before a daemon made one. */
export const readApiToken = (home: string) => readIfThere(apiTokenFile(home))

/** Compares in constant time, so that the token cannot be guessed from how long a refusal takes. */
export const sameToken = (given: string, token: string) => {
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}
