import { isatty } from "node:tty"
import { Console, Effect } from "effect"
import pc from "picocolors"

/**
 * Whether standard output is a terminal, asked of the file descriptor: `process.stdout.isTTY` would
 * build the stdout stream, a few ms of a thin launcher's run that writes with fs.writeSync.
 */
export const stdoutIsTty = () => isatty(1)

/** The one palette: colour unless NO_COLOR, a dumb terminal or a pipe (FORCE_COLOR overrides). */
export const colorEnabled = (env: NodeJS.ProcessEnv = process.env, isTTY = stdoutIsTty()): boolean => {
  if (env["NO_COLOR"] !== undefined && env["NO_COLOR"] !== "") return false
  if (env["FORCE_COLOR"] !== undefined && env["FORCE_COLOR"] !== "0") return true
  return isTTY && env["TERM"] !== "dumb"
}

export const paint = pc.createColors(colorEnabled())

export const ANSI = /\u001b\[[0-9;]*m/g

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
