import Table from "cli-table3"
import { Console, Effect } from "effect"
import pc from "picocolors"

/**
 * The one place that decides how output looks: colour unless NO_COLOR, a dumb terminal or a
 * pipe (FORCE_COLOR overrides), tables sized to the terminal, JSON for `--json`.
 */
export const colorEnabled = (env: NodeJS.ProcessEnv = process.env, isTTY = process.stdout.isTTY === true): boolean => {
  if (env["NO_COLOR"] !== undefined && env["NO_COLOR"] !== "") return false
  if (env["FORCE_COLOR"] !== undefined && env["FORCE_COLOR"] !== "0") return true
  return isTTY && env["TERM"] !== "dumb"
}

export const paint = pc.createColors(colorEnabled())

const ANSI = /\u001b\[[0-9;]*m/g

const plain = (args: ReadonlyArray<unknown>) => args.map((arg) => (typeof arg === "string" ? arg.replace(ANSI, "") : arg))

/**
 * @effect/cli colours its help and errors unconditionally; this console takes the colour out
 * when colour is off, so NO_COLOR and pipes get plain text from every part of the program.
 */
export const withPlainConsoleIfNoColor = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => {
  if (colorEnabled()) return effect
  return Effect.flatMap(Console.consoleWith(Effect.succeed), (console) =>
    Effect.withConsole(effect, {
      ...console,
      log: (...args) => console.log(...plain(args)),
      error: (...args) => console.error(...plain(args)),
      unsafe: {
        ...console.unsafe,
        log: (...args) => console.unsafe.log(...plain(args)),
        error: (...args) => console.unsafe.error(...plain(args))
      }
    })
  )
}

export const printJson = (value: unknown) => Console.log(JSON.stringify(value, null, 2))

export interface Column {
  readonly header: string
  /** Columns that may wrap share what is left of the terminal's width. */
  readonly wrap?: boolean
}

/** No lines between rows: for screens where every line counts. */
const COMPACT = { mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" }

/** A bordered table; wraps long cells only on a terminal, so piped output stays greppable. */
export const renderTable = (columns: ReadonlyArray<Column>, rows: ReadonlyArray<ReadonlyArray<string>>, options: { readonly compact?: boolean } = {}): string => {
  const width = process.stdout.isTTY === true ? process.stdout.columns : undefined
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
