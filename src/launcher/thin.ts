import { resolveHome } from "../config/paths.js"
import type { Described, PsRow } from "../app/shapes.js"
import { describeText } from "../cli/view/describe.js"
import { noInstances, tableOf } from "../cli/view/ps-table.js"
import { NOTHING_TO_STOP, nothingToStart, requestedText } from "../cli/view/requested.js"
import { askDaemon } from "./daemon-client.js"
import type { Thin } from "./thin-argv.js"

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
  const print = (text: string) => process.stdout.write(`${text}\n`)
  const json = (value: unknown) => print(JSON.stringify(value, null, 2))
  switch (thin.command) {
    case "ps": {
      const got = await askDaemon(home, "GET", "/instances")
      if (got._tag !== "Answered" || got.status !== 200) return false
      const rows = got.body as ReadonlyArray<PsRow>
      if (thin.json) json(rows)
      else print(rows.length === 0 ? noInstances(home) : tableOf(rows))
      return true
    }
    case "describe": {
      const got = await askDaemon(home, "GET", `/instances/${thin.name}`)
      if (got._tag !== "Answered" || got.status !== 200) return false
      const described = got.body as Described
      if (thin.json) json(described)
      else print(describeText(described, Date.now()))
      return true
    }
    case "health":
      return false
    case "up":
    case "down":
    case "restart": {
      const names = thin.names.length === 0 ? { all: true } : { names: thin.names }
      const got = await askDaemon(home, "POST", "/requests", { action: thin.command, ...names, by: "cli" })
      if (got._tag === "Lost") {
        process.stderr.write(`✗ no answer from the daemon at ${got.url}: the request may have been recorded; \`orch events --limit 20\` shows whether it was\n`)
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

/** The home as the full CLI finds it; undefined where it would refuse it, so that it says why. */
const homeOf = (flag: string | undefined) => {
  const fromEnv = process.env["LLAMA_ORCH_HOME"]
  if (flag?.trim() === "" || (flag === undefined && fromEnv?.trim() === "")) return undefined
  return resolveHome(flag)
}
