import { instancesDir } from "../../config/paths.js"

/* What `up`, `down` and `restart` say of a request that returns at once: plain code, for the thin launcher too. */

export const requestedText = (names: ReadonlyArray<string>) => `requested: ${names.join(", ")}`

export const nothingToStart = (home: string) => `No instances under ${instancesDir(home)}. Create one with \`orch init NAME --model PATH\`.`

export const NOTHING_TO_STOP = "No instances."

/** A request sent to the daemon whose answer never came: saying so beats asking twice. */
export const lostText = (url: string) => `no answer from the daemon at ${url}: the request may have been recorded; \`orch events --limit 20\` shows whether it was`
