import { resolveHome } from "../config/paths.js"
import type { Described, EventJson, HealthAllJson, HealthJson, PsRow } from "../app/shapes.js"
import { describeText } from "../cli/view/describe.js"
import { eventLine } from "../cli/view/events.js"
import { healthAllText, healthExitCode, healthText } from "../cli/view/health.js"
import type { Envelope, Event } from "../domain/events.js"
import { noInstances, tableOf } from "../cli/view/ps-table.js"
import { paint } from "../cli/view/palette.js"
import { lostText, NOTHING_TO_STOP, nothingToStart, requestedText } from "../cli/view/requested.js"
import { askDaemon } from "../app/daemon-client.js"
import type { Thin } from "./thin-argv.js"
import { writeOut } from "./write-out.js"

/**
 * `orch` as a thin client of the home's running daemon (as pm2's, docker's and kubectl's CLIs
 * are): one request to its API, the answer printed with the full CLI's own view code. Without
 * Effect, the CLI framework or SQLite, which were most of a command's start (bench/RESULTS.md).
 * Resolves false where the full CLI must do it instead, having printed nothing: no daemon answers,
 * or the answer is a refusal the full CLI words (an unknown instance, a config with problems).
 */
export const answer = async (thin: Thin): Promise<boolean> => {
  const home = homeOf(thin.home)
  if (home === undefined) return false
  const print = (text: string) => writeOut(`${text}\n`)
  const json = (value: unknown) => print(JSON.stringify(value, null, 2))
  /** The body of a 200, or undefined for anything the full CLI must say instead. */
  const read = async (path: string) => {
    const got = await askDaemon(home, "GET", path)
    return got._tag === "Answered" && got.status === 200 ? got.body : undefined
  }
  switch (thin.command) {
    case "ps": {
      const rows = (await read("/instances")) as ReadonlyArray<PsRow> | undefined
      if (rows === undefined) return false
      if (thin.json) json(rows)
      else print(rows.length === 0 ? noInstances(home) : tableOf(rows))
      return true
    }
    case "describe": {
      const described = (await read(`/instances/${thin.name}`)) as Described | undefined
      if (described === undefined) return false
      if (thin.json) json(described)
      else print(describeText(described, Date.now()))
      return true
    }
    case "health": {
      const all = thin.name === undefined
      const shown = (await read(all ? "/health/instances" : `/instances/${thin.name}/health?last=${thin.last}`)) as HealthAllJson | HealthJson | undefined
      if (shown === undefined) return false
      if (thin.json) json(shown)
      else print(all ? healthAllText(shown as HealthAllJson, Date.now()) : healthText(shown as HealthJson, Date.now()))
      process.exitCode = healthExitCode(shown)
      return true
    }
    case "events": {
      const query = new URLSearchParams({ before: String(Number.MAX_SAFE_INTEGER), limit: String(thin.limit) })
      if (thin.instance !== undefined) query.set("instance", thin.instance)
      if (thin.type !== undefined) query.set("type", thin.type)
      const page = (await read(`/events?${query}`)) as { readonly events: ReadonlyArray<EventJson> } | undefined
      if (page === undefined) return false
      if (page.events.length > 0) print(page.events.map((event) => (thin.json ? JSON.stringify(event) : eventLine(envelopeOf(event)))).join("\n"))
      return true
    }
    case "up":
    case "down":
    case "restart": {
      const names = thin.names.length === 0 ? { all: true } : { names: thin.names }
      const got = await askDaemon(home, "POST", "/requests", { action: thin.command, ...names, by: "cli" })
      // A start or a stop left unanswered is asked again by the full CLI, which records it itself if need be (lifecycle.ts).
      if (got._tag === "Lost" && thin.command === "restart") {
        print(`${paint.red("✗")} ${lostText(got.url)}`)
        process.exitCode = 1
        return true
      }
      if (got._tag !== "Answered" || got.status !== 202) return false
      const resolved = (got.body as { readonly names: ReadonlyArray<string> }).names
      print(resolved.length > 0 ? requestedText(resolved) : thin.command === "up" ? nothingToStart(home) : NOTHING_TO_STOP)
      return true
    }
  }
}

/** The event an API answer shows (its secrets hidden already), as the CLI's view takes it. */
const envelopeOf = (json: EventJson): Envelope => ({ seq: json.seq, at: json.at, instance: json.instance, event: { _tag: json.type, ...json.data } as Event })

/** The home as the full CLI finds it; undefined where it would refuse it, so that it says why. */
const homeOf = (flag: string | undefined) => {
  const fromEnv = process.env["LLAMA_ORCH_HOME"]
  if (flag?.trim() === "" || (flag === undefined && fromEnv?.trim() === "")) return undefined
  return resolveHome(flag)
}
