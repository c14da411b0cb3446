import * as path from "node:path"
import { Effect, Either } from "effect"
import { showPs } from "../cli/view/ps.js"
import { findHome } from "../config/home.js"
import { parseThin } from "./thin-argv.js"

/**
 * `orch ps` where no daemon answers for the home: the journal folded without the CLI framework,
 * which is most of a cold start. Whatever this path does not expect (a journal it cannot read, a
 * home that cannot be one, say) is handed to the full CLI, which says it properly: one wording,
 * whichever path ran.
 */
const fullCli = () => void require(path.join(__dirname, "orch-cli.cjs"))
const parsed = parseThin(process.argv.slice(2))
const home = parsed?.command === "ps" ? findHome(parsed.home) : undefined
if (parsed?.command !== "ps" || home === undefined || Either.isLeft(home)) fullCli()
else Effect.runFork(Effect.catchAllCause(showPs(home.right, parsed.json), () => Effect.sync(fullCli)))
