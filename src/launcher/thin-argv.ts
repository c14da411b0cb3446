import { NAME_PATTERN } from "../domain/name.js"

/**
 * The `orch` runs the thin launcher takes (src/launcher/thin.ts): a read command, or a request
 * that returns at once, each in the shapes it knows. Any other shape, `--help` and every mistake
 * included, goes to the full CLI, which says it as it always has. Plain code: the launcher parses
 * it before anything else is loaded.
 */
export type Thin =
  | { readonly command: "ps"; readonly home: string | undefined; readonly json: boolean }
  | { readonly command: "describe"; readonly home: string | undefined; readonly json: boolean; readonly name: string }
  /** name undefined: --all */
  | { readonly command: "health"; readonly home: string | undefined; readonly json: boolean; readonly name: string | undefined; readonly last: number }
  /** Only the newest `limit`: the whole journal is read by the CLI itself, not by the daemon that supervises */
  | { readonly command: "events"; readonly home: string | undefined; readonly json: boolean; readonly limit: number; readonly instance: string | undefined; readonly type: string | undefined }
  /** Only with --no-wait: the waiting ones follow the journal, as the full CLI does. names empty: --all */
  | { readonly command: "up" | "down" | "restart"; readonly home: string | undefined; readonly names: ReadonlyArray<string> }

interface Parsed {
  readonly flags: ReadonlySet<string>
  readonly values: ReadonlyMap<string, string>
  readonly positional: ReadonlyArray<string>
}

/** Flags given once each, from `flags` and `valued` only; undefined for anything else. */
const parse = (args: ReadonlyArray<string>, flags: ReadonlyArray<string>, valued: ReadonlyArray<string>): Parsed | undefined => {
  const seenFlags = new Set<string>()
  const values = new Map<string, string>()
  const positional: Array<string> = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    const eq = arg.indexOf("=")
    const key = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg
    if (flags.includes(arg) && !seenFlags.has(arg)) seenFlags.add(arg)
    else if (valued.includes(key) && !values.has(key)) {
      if (key !== arg) values.set(key, arg.slice(eq + 1))
      else if (i + 1 < args.length) values.set(key, args[++i]!)
      else return undefined
    } else if (!arg.startsWith("-") && NAME_PATTERN.test(arg)) positional.push(arg)
    else return undefined
  }
  return { flags: seenFlags, values, positional }
}

const LAST = /^(0|[1-9][0-9]{0,3})$/
/** What one page of the API holds. */
const LIMIT = /^([1-9][0-9]{0,3}|10000)$/
const TYPES = /^[A-Za-z]+(,[A-Za-z]+)*$/

export const parseThin = (args: ReadonlyArray<string>): Thin | undefined => {
  const [command, ...rest] = args
  switch (command) {
    case "ps": {
      const parsed = parse(rest, ["--json"], ["--home"])
      return parsed === undefined || parsed.positional.length > 0 ? undefined : { command, home: parsed.values.get("--home"), json: parsed.flags.has("--json") }
    }
    case "describe": {
      const parsed = parse(rest, ["--json"], ["--home"])
      return parsed?.positional.length !== 1 ? undefined : { command, home: parsed.values.get("--home"), json: parsed.flags.has("--json"), name: parsed.positional[0]! }
    }
    case "health": {
      const parsed = parse(rest, ["--json", "--all"], ["--home", "--last"])
      if (parsed === undefined || parsed.positional.length > 1 || (parsed.positional.length === 1) === parsed.flags.has("--all")) return undefined
      const last = parsed.values.get("--last") ?? "10"
      if (!LAST.test(last)) return undefined
      return { command, home: parsed.values.get("--home"), json: parsed.flags.has("--json"), name: parsed.positional[0], last: Number(last) }
    }
    case "events": {
      const parsed = parse(rest, ["--json"], ["--home", "--limit", "--instance", "--type"])
      const [limit, instance, type] = ["--limit", "--instance", "--type"].map((key) => parsed?.values.get(key))
      if (parsed === undefined || parsed.positional.length > 0 || limit === undefined || !LIMIT.test(limit)) return undefined
      if ((instance !== undefined && !NAME_PATTERN.test(instance)) || (type !== undefined && !TYPES.test(type))) return undefined
      return { command, home: parsed.values.get("--home"), json: parsed.flags.has("--json"), limit: Number(limit), instance, type }
    }
    case "up":
    case "down":
    case "restart": {
      const parsed = parse(rest, ["--no-wait", "--all"], ["--home"])
      if (parsed === undefined || !parsed.flags.has("--no-wait") || (parsed.positional.length > 0) === parsed.flags.has("--all")) return undefined
      return { command, home: parsed.values.get("--home"), names: parsed.positional }
    }
    default:
      return undefined
  }
}
