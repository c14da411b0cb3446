import { Command } from "@effect/cli"
import { Console, Effect } from "effect"
import { apiAddress } from "../../app/api-address.js"
import { withJournal } from "../../app/journal.js"
import { daemonLog } from "../../config/home.js"
import { currentState } from "../../journal/projection.js"
import { ExitCode } from "../errors.js"
import { homeFrom, homeOption, jsonOption } from "../options.js"
import { bad } from "../view/findings.js"
import { printJson } from "../view/json.js"
import { paint } from "../view/palette.js"

/** How long `orch api` waits for a daemon that has just started to say where its API listens. */
const RECORDED_WITHIN_MS = 5_000

/**
 * The daemon's API where it listens, or (printed as JSON with --json, in words without) why there
 * is none, and exit 1: for `orch api` and `orch ui`.
 */
export const listeningApi = (home: string, json: boolean) =>
  Effect.gen(function* () {
    const look = withJournal(home, "read")(currentState).pipe(
      Effect.catchTag("NoJournal", () => Effect.succeed(undefined)),
      Effect.flatMap((state) => apiAddress(home, state))
    )
    let found = yield* look
    // `orch daemon start` returns once the daemon holds its lock, a moment before it records where its API listens.
    for (let waited = 0; found._tag === "Starting" && waited < RECORDED_WITHIN_MS; waited += 100) {
      yield* Effect.sleep("100 millis")
      found = yield* look
    }
    if (found._tag === "Listening") return found
    const restart = "then `orch daemon stop && orch daemon start`"
    const why =
      found._tag === "NoDaemon"
        ? "no daemon runs for this home, and the API is the daemon's; `orch daemon start` starts it"
        : found._tag === "Off"
          ? "the daemon serves no API: orch.json has http.listen \"off\""
          : found._tag === "Starting"
            ? `the daemon has not said where its API listens within ${RECORDED_WITHIN_MS / 1000} s of starting (its log: ${daemonLog(home)})`
            : found.where === null
              // It never tried an address: what it says is the file's problem, not a port's.
              ? `the daemon serves no API: ${found.problem} (\`orch config lint\` says how to fix it, ${restart})`
              : `the daemon serves no API on ${found.where}: ${found.problem} (its log: ${daemonLog(home)}; set http.listen in orch.json, ${restart})`
    if (json) yield* printJson({ url: null, problem: why })
    else yield* bad(why)
    return yield* new ExitCode({ code: 1 })
  })

export const api = Command.make("api", { home: homeOption, json: jsonOption }, (options) =>
  Effect.gen(function* () {
    const found = yield* listeningApi(homeFrom(options.home), options.json)
    const tokenQuery = found.token === undefined ? "" : `?token=${found.token}`
    const shown = { url: `${found.url}/api/v1`, docs: `${found.url}/api/docs`, open: `${found.url}/api/docs${tokenQuery}`, token: found.token ?? null, openapi: `${found.url}/api/v1/openapi.json`, metrics: `${found.url}/metrics`, gateway: `${found.url}/v1` }
    if (options.json) return yield* printJson(shown)
    yield* Console.log(`API:      ${shown.url}`)
    yield* Console.log(`docs:     ${shown.open}  ${paint.dim("(opens in a browser once; it then keeps the token in a cookie)")}`)
    yield* Console.log(`token:    ${shown.token ?? paint.dim("none (orch.json http.auth is \"none\")")}  ${paint.dim("send it as Authorization: Bearer <token>")}`)
    yield* Console.log(`OpenAPI:  ${shown.openapi}`)
    yield* Console.log(`metrics:  ${shown.metrics}`)
    yield* Console.log(`console:  ${found.url}/${tokenQuery}  ${paint.dim("(orch ui)")}`)
    yield* Console.log(`gateway:  ${shown.gateway}  ${paint.dim("(the base URL for OpenAI clients; the model field names the instance)")}`)
  })
).pipe(Command.withDescription("Print the daemon's API address, its docs URL (with the token, for a browser), its token and the OpenAI gateway's base URL; exit 1 if it serves none"))
