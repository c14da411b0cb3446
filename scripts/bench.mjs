// `npm run bench`: bundles each bench/*.bench.ts (and the crash writer) and runs them in turn.
// Figures are printed, never asserted: bench/RESULTS.md records them with their goals.
import { execFileSync } from "node:child_process"
import { readdirSync } from "node:fs"
import { build } from "esbuild"

const only = process.argv.slice(2)
const benches = readdirSync("bench").filter((file) => file.endsWith(".bench.ts") && (only.length === 0 || only.some((name) => file.startsWith(name))))
const common = { bundle: true, platform: "node", format: "cjs", target: "node20", external: ["better-sqlite3", "playwright-core"], logLevel: "warning" }
await build({ ...common, entryPoints: ["test/journal/crash-writer.ts"], outfile: "dist-test/crash-writer.cjs" })
for (const bench of benches) {
  const outfile = `dist-test/bench/${bench.replace(/\.ts$/, ".cjs")}`
  await build({ ...common, entryPoints: [`bench/${bench}`], outfile })
  console.log(`\n== ${bench}`)
  execFileSync(process.execPath, [outfile], { stdio: "inherit" })
}
