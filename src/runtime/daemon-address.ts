import * as fs from "node:fs"
import { daemonAddressFile } from "../config/paths.js"

/**
 * Where a home's running daemon answers its API, for the thin launcher (src/launcher/thin.ts):
 * finding it in the journal would cost the SQLite and Effect start-up the launcher exists to skip.
 * A hint beside the pid file, not a fact: the journal's ApiListening is the record, and a client
 * trusts an answer only when it comes from this pid (the `x-orch-daemon` header).
 */
export interface DaemonAddress {
  readonly pid: number
  /** http://HOST:PORT, reachable from this machine */
  readonly url: string
}

/** Plain code: read by the launcher before anything else is loaded. */
export const readDaemonAddress = (home: string): DaemonAddress | undefined => {
  try {
    const found = JSON.parse(fs.readFileSync(daemonAddressFile(home), "utf8")) as Partial<DaemonAddress>
    return typeof found.pid === "number" && typeof found.url === "string" ? { pid: found.pid, url: found.url } : undefined
  } catch {
    return undefined
  }
}

/** Written whole under another name and renamed: no reader sees half of it. */
export const writeDaemonAddress = (home: string, url: string) => {
  const file = daemonAddressFile(home)
  const temp = `${file}.${process.pid}.tmp`
  fs.writeFileSync(temp, `${JSON.stringify({ pid: process.pid, url } satisfies DaemonAddress)}\n`, { mode: 0o600 })
  fs.renameSync(temp, file)
}

/** Removed only while it is this daemon's: a daemon that replaced it keeps its own. */
export const removeDaemonAddress = (home: string) => {
  if (readDaemonAddress(home)?.pid === process.pid) fs.rmSync(daemonAddressFile(home), { force: true })
}
