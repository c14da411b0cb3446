import Table from "cli-table3"
import { ANSI, paint, stdoutIsTty } from "./palette.js"

export interface Column {
  readonly header: string
  /** Columns that may wrap share what is left of the terminal's width. */
  readonly wrap?: boolean
}

/** No lines between rows: for screens where every line counts. */
const COMPACT = { mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" }

/**
 * Characters one column wide to cli-table3 too (its string-width): printable Latin, and the few
 * symbols our views use; no control character, so no line break.
 */
const NARROW = /^[\x20-\x7e\u00a0-\u00a8\u00aa-\u00ad\u00af-\u02ff✓✗…→←↑↓·•]*$/

/**
 * cli-table3's drawing of a table that needs no wrapping and holds only narrow characters, drawn
 * directly: cli-table3 took ~30 ms for `orch ps`'s 20 rows in a cold process, most of the thin
 * launcher's own time, and its garbage as much again. Undefined for any other table, which
 * cli-table3 draws. A property test holds the two to the same output.
 */
export const drawPlain = (head: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>, compact: boolean): string | undefined => {
  const lines = [head, ...rows]
  const plain = lines.map((line) => line.map((cell) => cell.replace(ANSI, "")))
  if (rows.some((row) => row.length !== head.length) || plain.some((line) => line.some((cell) => !NARROW.test(cell)))) return undefined
  const widths = head.map((_, index) => Math.max(...plain.map((line) => line[index]!.length)))
  const rule = (left: string, middle: string, right: string) => `${left}${widths.map((width) => "─".repeat(width + 2)).join(middle)}${right}`
  const drawn = [rule("┌", "┬", "┐")]
  lines.forEach((line, index) => {
    if (index > 0 && !compact) drawn.push(rule("├", "┼", "┤"))
    drawn.push(`│${line.map((cell, column) => ` ${cell}${" ".repeat(widths[column]! - plain[index]![column]!.length)} `).join("│")}│`)
  })
  drawn.push(rule("└", "┴", "┘"))
  return drawn.join("\n")
}

/** A bordered table; wraps long cells only on a terminal, so piped output stays greppable. */
export const renderTable = (columns: ReadonlyArray<Column>, rows: ReadonlyArray<ReadonlyArray<string>>, options: { readonly compact?: boolean } = {}): string => {
  const width = stdoutIsTty() ? process.stdout.columns : undefined
  const natural = columns.map((column, index) =>
    Math.max(column.header.length, ...rows.map((row) => (row[index] ?? "").replace(ANSI, "").length)) + 2
  )
  let colWidths: Array<number | null> = natural.map(() => null)
  if (width !== undefined && natural.reduce((sum, n) => sum + n + 1, 1) > width) {
    const fixed = natural.reduce((sum, n, index) => (columns[index]!.wrap === true ? sum : sum + n + 1), 1)
    const wrapping = columns.filter((column) => column.wrap === true).length
    const share = Math.max(12, Math.floor((width - fixed) / Math.max(1, wrapping)) - 1)
    colWidths = natural.map((n, index) => (columns[index]!.wrap === true ? Math.min(n, share) : n))
  }
  if (colWidths.every((width) => width === null)) {
    const drawn = drawPlain(columns.map((column) => paint.bold(column.header)), rows, options.compact === true)
    if (drawn !== undefined) return drawn
  }
  const table = new Table({
    head: columns.map((column) => paint.bold(column.header)),
    colWidths,
    wordWrap: true,
    wrapOnWordBoundary: true,
    style: { head: [], border: [] },
    ...(options.compact === true ? { chars: COMPACT } : {})
  })
  for (const row of rows) table.push([...row])
  return table.toString()
}
