import { Command } from "@effect/cli"
import { Clock, Console, Effect } from "effect"
import { type ApiAddress, apiAddress, apiWords } from "../../../app/api-address.js"
import { withJournal } from "../../../app/journal.js"
import { daemonLog, journalDir, journalFile } from "../../../config/home.js"
import { currentState } from "../../../journal/projection.js"
import { runningDaemon } from "../../../runtime/lock.js"
import { ExitCode } from "../../errors.js"
import { homeFrom, homeOption, jsonOption } from "../../options.js"
import { ok } from "../../view/findings.js"
import { printJson } from "../../view/json.js"
import { paint } from "../../view/palette.js"
import { formatAge } from "../../view/time.js"

const apiJson = (api: ApiAddress) =>
  api._tag === "Listening" ? { url: `${api.url}/api/v1`, problem: null } : api._tag === "Failed" ? { url: null, problem: apiWords(api).text } : null

export const status = Command.make("status", { home: homeOption, json: jsonOption }, (options) =>
  Effect.gen(function* () {
    const home = homeFrom(options.home)
    const daemon = runningDaemon(journalDir(home))
    const now = yield* Clock.currentTimeMillis
    const state = yield* withJournal(home, "read")(currentState).pipe(Effect.catchTag("NoJournal", () => Effect.succeed(undefined)))
    const api = yield* apiAddress(home, state)
    const supervised = Object.values(state?.instances ?? {}).filter((instance) => instance.pid !== null).map((instance) => ({ name: instance.name, pid: instance.pid, status: instance.status }))
    const startedAt = daemon !== undefined && state?.daemon?.pid === daemon.pid ? state.daemon.started_at : null
    if (options.json) {
      yield* printJson({ running: daemon !== undefined, pid: daemon?.pid ?? null, started_at: startedAt, journal: journalFile(home), log: daemonLog(home), supervised, api: apiJson(api) })
    } else if (daemon === undefined) {
      yield* Console.log(`not running (home ${home})`)
    } else {
      yield* ok(`running, pid ${daemon.pid}${startedAt === null ? "" : `, up ${formatAge(now - startedAt)}`}`)
      yield* Console.log(`journal:    ${journalFile(home)}\nlog:        ${daemonLog(home)}\nsupervises: ${supervised.length === 0 ? "nothing running" : supervised.map((s) => `${s.name} (pid ${s.pid}, ${s.status})`).join(", ")}`)
      const words = apiWords(api)
      yield* Console.log(`api:        ${words.ok ? words.text : paint.red(words.text)}${api._tag === "Listening" ? " (`orch api` prints its token)" : ""}`)
    }
    // As systemctl and LSB init scripts do: 3 means "not running".
    if (daemon === undefined) return yield* new ExitCode({ code: 3 })
  })
).pipe(Command.withDescription("Show whether the daemon runs: pid, uptime, journal, supervised servers (exit 3 if not running)"))

