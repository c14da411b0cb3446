import type { InstanceConfig } from "../../domain/config.js"
import { NAME_PATTERN } from "../../domain/name.js"

const isBlank = (char: string | undefined) => char === " " || char === "\t"

/**
 * A command line split as Windows programs split theirs (CommandLineToArgvW; rules as Wine and
 * ReactOS implement it): Windows hands a process one string, and Win32_Process shows that string.
 * The program's path ends at the next quote if it starts with one, else at the first white
 * space, with no escapes. After it: blanks split outside quotes; 2n backslashes before a quote
 * are n and the quote opens or closes; 2n+1 are n and a literal quote; backslashes before
 * anything else are literal; of consecutive quotes every third is a literal one.
 */
export const splitCommandLine = (line: string): Array<string> => {
  if (line === "") return []
  let at = 0
  let program = ""
  if (line[0] === '"') {
    at = 1
    while (at < line.length && line[at] !== '"') program += line[at++]
  } else {
    while (at < line.length && !/[ \t\n\v\f\r]/.test(line[at]!)) program += line[at++]
  }
  at++
  const argv = [program]
  while (isBlank(line[at])) at++
  if (at >= line.length) return argv
  let arg = ""
  let quotes = 0
  let backslashes = 0
  while (at < line.length) {
    const char = line[at]!
    if (isBlank(char) && quotes === 0) {
      argv.push(arg)
      arg = ""
      backslashes = 0
      while (isBlank(line[at])) at++
      // Blanks at the end start no argument.
      if (at >= line.length) return argv
    } else if (char === "\\") {
      arg += char
      backslashes++
      at++
    } else if (char === '"') {
      if (backslashes % 2 === 0) {
        arg = arg.slice(0, arg.length - backslashes / 2)
        quotes++
      } else {
        arg = `${arg.slice(0, arg.length - (backslashes - 1) / 2 - 1)}"`
      }
      at++
      backslashes = 0
      for (; line[at] === '"'; at++) {
        if (++quotes === 3) {
          arg += '"'
          quotes = 0
        }
      }
      if (quotes === 2) quotes = 0
    } else {
      arg += char
      backslashes = 0
      at++
    }
  }
  argv.push(arg)
  return argv
}

/** The value after a flag's first appearance past the program: buildArgv puts ours before the config's own `args`. */
export const flagValue = (argv: ReadonlyArray<string>, flag: string): string | undefined => {
  const at = argv.indexOf(flag, 1)
  return at === -1 ? undefined : argv[at + 1]
}

/**
 * The instance a server was started for, by the argv buildArgv made: `--alias` names an instance
 * whose config (`configOf`) still gives the same `--port` and `-m`. A server of another home, or
 * one started from a config edited since, is not this home's by its command line.
 */
export const instanceOf = (argv: ReadonlyArray<string>, configOf: (name: string) => InstanceConfig | undefined): string | undefined => {
  const name = flagValue(argv, "--alias")
  // Never a path out of <home>/instances.
  if (name === undefined || !NAME_PATTERN.test(name)) return undefined
  const config = configOf(name)
  return config !== undefined && flagValue(argv, "--port") === String(config.server.port) && flagValue(argv, "-m") === config.model.path ? name : undefined
}
