/**
 * The `orch ps` arguments the fast path takes (`--home DIR`, `--home=DIR`, `--json`); any other
 * shape, `--help` included, goes to the full CLI. Plain code: the launcher loads it before anything.
 */
export const parseFastPs = (args: ReadonlyArray<string>): { readonly home: string | undefined; readonly json: boolean } | undefined => {
  if (args[0] !== "ps") return undefined
  let home: string | undefined
  let json = false
  for (let i = 1; i < args.length; i++) {
    const arg = args[i]!
    if (arg === "--json" && !json) json = true
    else if (arg === "--home" && i + 1 < args.length && home === undefined) home = args[++i]
    else if (arg.startsWith("--home=") && home === undefined) home = arg.slice("--home=".length)
    else return undefined
  }
  return { home, json }
}
