import Table from "cli-table3"
import fc from "fast-check"
import pc from "picocolors"
import { describe, expect, it } from "vitest"
import { drawPlain } from "../../src/cli/view/table.js"

const colours = pc.createColors(true)

/** What cli-table3 draws of the same cells, with the options renderTable gives it. */
const byCliTable3 = (head: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>, compact: boolean) => {
  const table = new Table({
    head: [...head],
    colWidths: head.map(() => null),
    wordWrap: true,
    wrapOnWordBoundary: true,
    style: { head: [], border: [] },
    ...(compact ? { chars: { mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" } } : {})
  })
  for (const row of rows) table.push([...row])
  return table.toString()
}

const narrow = fc.constantFrom(..."abcxyz ABC-_.:,/()019#%*=éüñ✓✗…→·ß".split(""))
/** A cell as the views make them: text, maybe painted (bold, dim, a colour) whole or in part. */
const cell = fc.tuple(fc.array(narrow, { maxLength: 14 }).map((chars) => chars.join("")), fc.constantFrom("none" as const, "green" as const, "dim" as const, "bold" as const, "part" as const))
  .map(([text, paint]) => (paint === "none" ? text : paint === "part" ? `${colours.red(text.slice(0, 3))}${text.slice(3)}` : colours[paint](text)))

describe("the table drawn without cli-table3", () => {
  it("is what cli-table3 draws, for any table of narrow characters, painted or not, compact or not", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }).chain((columns) =>
        fc.tuple(fc.array(cell, { minLength: columns, maxLength: columns }), fc.array(fc.array(cell, { minLength: columns, maxLength: columns }), { maxLength: 8 }), fc.boolean())
      ), ([head, rows, compact]) => {
        expect(drawPlain(head, rows, compact)).toBe(byCliTable3(head, rows, compact))
      }),
      { numRuns: 500 }
    )
  })

  it("leaves to cli-table3 what it might measure otherwise: wide characters, line breaks, tabs, ragged rows", () => {
    for (const odd of ["漢字", "a\nb", "a\tb", "🙂", "©"]) expect(drawPlain(["h"], [[odd]], false)).toBeUndefined()
    expect(drawPlain(["a", "b"], [["x"]], false)).toBeUndefined()
  })
})
