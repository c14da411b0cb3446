import { Console, Effect } from "effect"
import { readRows } from "../../app/ps.js"
import { journalDir } from "../../config/home.js"
import { runningDaemon } from "../../runtime/lock.js"
import { printJson } from "./json.js"
import { paint } from "./palette.js"
import { noInstances, tableOf } from "./ps-table.js"

/** `orch ps`, for the command and for the fast path that skips the CLI framework (src/launcher/fast-ps.ts). */
export const showPs = (home: string, json: boolean) =>
  Effect.gen(function* () {
    const rows = yield* readRows(home)
    if (json) return yield* printJson(rows)
    if (rows.length === 0) {
      return yield* Console.log(noInstances(home))
    }
    yield* Console.log(tableOf(rows))
    const contradicted = rows.filter((row) => row.actual_pids !== null).map((row) => row.name)
    if (contradicted.length > 0) {
      yield* Console.error(paint.yellow(
        `note: what runs is not what the journal says for ${contradicted.join(", ")}: the journal was changed under its daemon, or a daemon ended before recording what it did. ` +
          "A daemon that starts on this journal adopts or stops each server as the journal asks: `orch up NAME` keeps one, `orch down NAME` stops it; `orch daemon status` shows the daemon."
      ))
    }
    if (runningDaemon(journalDir(home)) === undefined && rows.some((row) => row.desired === "up")) {
      yield* Console.error(paint.yellow("note: the daemon is not running, so nothing is watched or restarted: this is the journal's last word. Start it with `orch daemon start`."))
    }
  })
