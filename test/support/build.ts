import { execFileSync } from "node:child_process"
import { build } from "esbuild"
import { CRASH_WRITER } from "../journal/crash-round.js"


/** The end-to-end tests run the bundled `orch` and test helpers as processes: bundle them once. */
export default async function setup() {
  execFileSync(process.execPath, ["scripts/build.mjs"], { stdio: "inherit" })
  await build({
    entryPoints: ["test/journal/crash-writer.ts"],
    outfile: CRASH_WRITER,
    bundle: true,
    platform: "node",
    format: "cjs",
    external: ["better-sqlite3"],
    logLevel: "warning"
  })
}
