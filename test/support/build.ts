import { execFileSync } from "node:child_process"
import { build } from "esbuild"

export const CRASH_WRITER = "dist-test/crash-writer.cjs"

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
