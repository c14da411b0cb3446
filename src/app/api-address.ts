import { Effect, Either } from "effect"
import { journalDir } from "../config/home.js"
import { readSettings } from "../config/settings.js"
import { hostPort, reachable } from "../domain/address.js"
import type { State } from "../domain/instances.js"
import { listenAddress } from "../domain/settings.js"
import { readApiToken } from "../runtime/api-token.js"
import { runningDaemon } from "../runtime/lock.js"

/** Where a home's API answers, as the journal says and the lock confirms: for `orch api`, status and doctor. */
export type ApiAddress =
  | { readonly _tag: "Listening"; readonly url: string; readonly token: string | undefined }
  /** `where`: the address it could not take; null where orch.json itself is the problem. */
  | { readonly _tag: "Failed"; readonly where: string | null; readonly problem: string }
  | { readonly _tag: "Off" }
  /** A daemon holds the lock and has not yet recorded where it listens: it is starting. */
  | { readonly _tag: "Starting" }
  | { readonly _tag: "NoDaemon" }

export const apiAddress = (home: string, state: State | undefined): Effect.Effect<ApiAddress> =>
  Effect.gen(function* () {
    const daemon = runningDaemon(journalDir(home))
    if (daemon === undefined) return { _tag: "NoDaemon" }
    // The daemon takes its lock, then records that it started and where its API listens.
    const api = state?.daemon?.pid === daemon.pid && state.daemon.stopped_at === null ? state.daemon.api : null
    if (api === null) {
      const settings = yield* readSettings(home)
      return Either.isRight(settings) && listenAddress(settings.right) === "off" ? { _tag: "Off" } : { _tag: "Starting" }
    }
    if (api.problem !== null) return { _tag: "Failed", where: api.problem.startsWith("orch.json:") ? null : hostPort(api.host, api.port), problem: api.problem }
    return { _tag: "Listening", url: `http://${hostPort(reachable(api.host), api.port)}`, token: readApiToken(home) }
  })

/** An API's state in a few words, and the fix where it has one: for status and doctor. */
export const apiWords = (api: ApiAddress): { readonly ok: boolean; readonly text: string; readonly fix: string } => {
  switch (api._tag) {
    case "Listening":
      return { ok: true, text: `${api.url}/api/v1`, fix: "" }
    case "Failed":
      return api.where === null
        ? { ok: false, text: `none: ${api.problem}`, fix: "`orch config lint` says how to fix orch.json; then orch daemon stop && orch daemon start" }
        : { ok: false, text: `none on ${api.where}: ${api.problem}`, fix: "set http.listen in orch.json (another port, or \"off\"), then orch daemon stop && orch daemon start" }
    case "Off":
      return { ok: true, text: "off (orch.json http.listen)", fix: "" }
    case "Starting":
      return { ok: true, text: "starting: not recorded yet", fix: "" }
    case "NoDaemon":
      return { ok: true, text: "none: no daemon runs", fix: "orch daemon start" }
  }
}
