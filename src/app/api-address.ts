import { hostPort } from "../domain/address.js"
import type { State } from "../domain/instances.js"
import { journalDir } from "../config/home.js"
import { runningDaemon } from "../runtime/lock.js"
import { readApiToken } from "../runtime/api-token.js"

/** Where a home's API answers, as the journal says and the lock confirms: for `orch api`, status and doctor. */
export type ApiAddress =
  | { readonly _tag: "Listening"; readonly url: string; readonly token: string | undefined }
  | { readonly _tag: "Failed"; readonly where: string; readonly problem: string }
  | { readonly _tag: "Off" }
  | { readonly _tag: "NoDaemon" }

/** A listener on every address is reached, from here, on loopback. */
const reachable = (host: string) => (host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host)

export const apiAddress = (home: string, state: State | undefined): ApiAddress => {
  const daemon = runningDaemon(journalDir(home))
  if (daemon === undefined || state?.daemon?.pid !== daemon.pid || state.daemon.stopped_at !== null) return { _tag: "NoDaemon" }
  const api = state.daemon.api
  if (api === null) return { _tag: "Off" }
  if (api.problem !== null) return { _tag: "Failed", where: hostPort(api.host, api.port), problem: api.problem }
  return { _tag: "Listening", url: `http://${hostPort(reachable(api.host), api.port)}`, token: readApiToken(home) }
}
