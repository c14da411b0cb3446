import * as path from "node:path"
import { Effect } from "effect"
import { showPs } from "./cli/ps-output.js"
import { resolveHome } from "./config/home.js"
import { parseFastPs } from "./fast-argv.js"

/**
 * `orch ps` without the CLI framework, which is most of a cold start. Whatever this path does not
 * expect (a journal it cannot read, say) is handed to the full CLI, which says it properly.
 */
const fullCli = () => void require(path.join(__dirname, "orch-cli.cjs"))
const parsed = parseFastPs(process.argv.slice(2))
if (parsed === undefined) fullCli()
else Effect.runFork(Effect.catchAllCause(showPs(resolveHome(parsed.home), parsed.json), () => Effect.sync(fullCli)))
