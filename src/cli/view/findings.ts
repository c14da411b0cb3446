import * as path from "node:path"
import { Console, Effect } from "effect"
import { type FileFinding, oneLine, shownFinding } from "../../domain/findings.js"
import { paint } from "./palette.js"
import { renderTable } from "./table.js"

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`

export const problemCount = (count: number) => plural(count, "problem")

/** An instance's config names its folder; another file of the home (autostart.json) names itself. */
const whose = (file: string) => (path.basename(file) === "config.json" ? path.basename(path.dirname(file)) : path.basename(file))

/** Findings as the table an operator fixes them from; `byInstance` adds the instance column. */
export const printFindings = (findings: ReadonlyArray<FileFinding>, byInstance: boolean) => {
  const columns = [
    ...(byInstance ? [{ header: "instance" }] : []),
    { header: "field" },
    { header: "problem", wrap: true },
    { header: "hint", wrap: true }
  ]
  const rows = findings.map(shownFinding).map((finding) => [
    ...(byInstance ? [oneLine(finding.instance ?? whose(finding.file))] : []),
    finding.field === "" ? paint.dim("(file)") : finding.field,
    paint.red(finding.problem),
    finding.hint
  ])
  return Console.log(renderTable(columns, rows))
}

export const ok = (text: string) => Console.log(`${paint.green("✓")} ${text}`)
export const bad = (text: string) => Console.log(`${paint.red("✗")} ${text}`)

export const unlessEmpty = (findings: ReadonlyArray<unknown>, effect: Effect.Effect<void>) =>
  findings.length === 0 ? Effect.void : effect
