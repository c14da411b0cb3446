/** A full-screen view on a terminal: the alternate screen, no cursor, keys one at a time. */

const ESC = "\u001b["
const ENTER = `${ESC}?1049h${ESC}?25l`
const LEAVE = `${ESC}?25h${ESC}?1049l`
const ANSI_PREFIX = /^\u001b\[[0-9;]*m/

/** A line cut to `width` visible characters, its colour codes kept and closed. */
export const cutLine = (line: string, width: number): string => {
  let visible = 0
  let out = ""
  for (let i = 0; i < line.length; ) {
    const code = ANSI_PREFIX.exec(line.slice(i))
    if (code !== null) {
      out += code[0]
      i += code[0].length
      continue
    }
    if (visible === width) return `${out}${ESC}0m`
    out += line[i]
    visible += 1
    i += 1
  }
  return out
}

/**
 * One frame: every line rewritten in place and cleared to its end, then everything below cleared.
 * Nothing is blanked first, so nothing flickers; lines are cut to the terminal, so nothing wraps.
 */
export const frame = (lines: ReadonlyArray<string>, width: number, height: number): string =>
  `${ESC}H${lines.slice(0, Math.max(1, height)).map((line) => `${cutLine(line, Math.max(1, width))}${ESC}0m${ESC}K`).join("\r\n")}${ESC}J`

export interface Screen {
  readonly draw: (lines: ReadonlyArray<string>) => void
  readonly size: () => { readonly width: number; readonly height: number }
  /** Gives the terminal back as it was; safe to call more than once. */
  readonly leave: () => void
}

/** Takes over the terminal; `onKey` gets each key. Left on leave(), and on any exit of the process. */
export const enterScreen = (onKey: (key: string) => void): Screen => {
  const input = process.stdin
  const output = process.stdout
  let left = false
  const keys = (data: Buffer) => onKey(data.toString("utf8"))
  const leave = () => {
    if (left) return
    left = true
    input.off("data", keys)
    if (input.isTTY) input.setRawMode(false)
    input.pause()
    output.write(LEAVE)
    process.off("exit", leave)
  }
  // Whatever ends the process, the terminal comes back: a crash too.
  process.on("exit", leave)
  output.write(ENTER)
  if (input.isTTY) input.setRawMode(true)
  input.on("data", keys)
  input.resume()
  return {
    draw: (lines) => void output.write(frame(lines, output.columns ?? 80, output.rows ?? 24)),
    size: () => ({ width: output.columns ?? 80, height: output.rows ?? 24 }),
    leave
  }
}
