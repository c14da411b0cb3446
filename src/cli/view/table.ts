import Table from "cli-table3"
import { ANSI, paint, stdoutIsTty } from "./palette.js"

export interface Column {
  readonly header: string
  /** Columns that may wrap share what is left of the terminal's width. */
  readonly wrap?: boolean
}

/** No lines between rows: for screens where every line counts. */
const COMPACT = { mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" }

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
