import * as path from "node:path"
import { Command } from "@effect/cli"
import { Console, Effect } from "effect"
import { autostartProblems } from "../../../app/autostart.js"
import { findingsJson } from "../../../app/json.js"
import type { LintJson } from "../../../app/shapes.js"
import { instancesDir } from "../../../config/home.js"
import { lintHome } from "../../../config/validate.js"
import { ExitCode } from "../../errors.js"
import { homeFrom, homeOption, jsonOption } from "../../options.js"
import { bad, ok, printFindings, problemCount } from "../../view/findings.js"
import { printJson } from "../../view/json.js"
import { paint } from "../../view/palette.js"

export const configLint = Command.make("lint", { home: homeOption, json: jsonOption }, (options) =>
  Effect.gen(function* () {
    const home = homeFrom(options.home)
    const linted = yield* lintHome(home)
    const findings = [...linted.findings, ...(yield* autostartProblems(home))]
    const names = linted.instances.flatMap((checked) => (checked.instance === undefined ? [] : [checked.instance]))
    const valid = findings.length === 0
    if (options.json) {
      yield* printJson({ home, valid, instances: names, findings: findingsJson(findings) } satisfies LintJson)
    } else if (valid && names.length === 0) {
      yield* Console.log(`No instances under ${instancesDir(home)}.`)
      yield* Console.log(paint.dim("Create one: orch init NAME --model PATH [--profile cpu|vulkan|cuda]"))
    } else if (valid) {
      yield* ok(`${names.length} instance${names.length === 1 ? "" : "s"}, no problems: ${names.join(", ")}`)
    } else {
      const broken = new Set(findings.flatMap((finding) => (finding.instance === undefined ? [] : [finding.instance]))).size
      const others = [...new Set(findings.flatMap((finding) => (finding.instance === undefined ? [path.basename(finding.file)] : [])))]
      const where = [...(broken > 0 ? [`${broken} instance${broken === 1 ? "" : "s"} under ${instancesDir(home)}`] : []), ...others.map((file) => `${file} of ${home}`)]
      yield* bad(`${problemCount(findings.length)} in ${where.join(" and in ")}`)
      yield* printFindings(findings, true)
    }
    if (!valid) return yield* new ExitCode({ code: 1 })
  })
).pipe(
  Command.withDescription(
    "Check every instance of the home, that no two share a port or a gateway alias, that each gateway.group is in orch.json, and autostart.json and orch.json; exit 1 on any problem"
  )
)
