import { Console } from "effect"

/** What `--json` prints: one value, indented, on stdout. */
export const printJson = (value: unknown) => Console.log(JSON.stringify(value, null, 2))
