import { Command } from "@effect/cli"
import { Console, Effect } from "effect"
import { diagnose } from "../../app/doctor.js"
import { ExitCode } from "../errors.js"
import { homeFrom, homeOption, jsonOption } from "../options.js"
import { printJson } from "../view/json.js"
import { paint } from "../view/palette.js"
import { renderTable } from "../view/table.js"

const mark = { ok: paint.green("✓"), warn: paint.yellow("!"), fail: paint.red("✗") }

export const doctor = Command.make("doctor", { home: homeOption, json: jsonOption }, (options) =>
  Effect.gen(function* () {
    const checks = yield* diagnose(homeFrom(options.home))
    if (options.json) yield* printJson(checks)
    else yield* Console.log(renderTable(
      [{ header: "" }, { header: "check" }, { header: "detail", wrap: true }, { header: "fix", wrap: true }],
      checks.map((check) => [mark[check.status], check.check, check.detail, check.fix]),
      { compact: true }
    ))
    if (checks.some((check) => check.status === "fail")) return yield* new ExitCode({ code: 1 })
  })
).pipe(Command.withDescription("Check the machine and the home: binary and version, models, ports, folders, daemon, journal, service; a fix for each problem"))
