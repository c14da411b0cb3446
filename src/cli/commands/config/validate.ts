import * as path from "node:path"
import { Args, Command } from "@effect/cli"
import { Effect } from "effect"
import { findingsJson } from "../../../app/json.js"
import type { ValidateJson } from "../../../app/shapes.js"
import { validateFile } from "../../../config/validate.js"
import { ExitCode } from "../../errors.js"
import { nonEmpty } from "../../option-values.js"
import { homeFrom, homeOption, jsonOption } from "../../options.js"
import { bad, ok, printFindings, problemCount } from "../../view/findings.js"
import { printJson } from "../../view/json.js"

export const configValidate = Command.make(
  "validate",
  { file: Args.text({ name: "path" }).pipe(Args.withDescription("The config file to check")), home: homeOption, json: jsonOption },
  (options) =>
    Effect.gen(function* () {
      const file = path.resolve(yield* nonEmpty("PATH", options.file, "the config file, for example instances/qwen/config.json"))
      const checked = yield* validateFile(homeFrom(options.home), file)
      const valid = checked.findings.length === 0
      if (options.json) {
        yield* printJson({ file, valid, findings: findingsJson(checked.findings) } satisfies ValidateJson)
      } else if (valid) {
        yield* ok(`${file} is valid`)
      } else {
        yield* bad(`${file}: ${problemCount(checked.findings.length)}`)
        yield* printFindings(checked.findings, false)
      }
      if (!valid) return yield* new ExitCode({ code: 1 })
    })
).pipe(
  Command.withDescription(
    "Check one config file (schema, model file, port, log folder, binary); exit 1 if not valid"
  )
)
