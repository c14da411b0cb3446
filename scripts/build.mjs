import { mkdirSync, readdirSync, renameSync, rmSync } from "node:fs"
import { chmod, writeFile } from "node:fs/promises"
import { createRequire } from "node:module"
import * as path from "node:path"
import { build } from "esbuild"
import { build as buildWeb } from "vite"

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  // ORCH_NO_MINIFY=1 keeps names readable in CPU profiles.
  minify: process.env.ORCH_NO_MINIFY === undefined,
  sourcemap: "linked",
  // jsonc-parser's "main" is a UMD build whose dynamic requires a bundle cannot follow.
  mainFields: ["module", "main"],
  external: ["better-sqlite3"],
  logLevel: "warning"
}

// Bundled: an unbundled Effect CLI starts several times slower. `orch` itself is a launcher of a
// few lines that loads the full CLI; or the thin client of a running daemon (no Effect at all); or
// for `orch ps` where no daemon answers, a bundle without the CLI framework (bench/RESULTS.md).
await Promise.all([
  build({ ...common, entryPoints: ["src/main.ts"], outfile: "dist/orch-cli.cjs" }),
  build({ ...common, entryPoints: ["src/launcher/fast-ps.ts"], outfile: "dist/orch-ps.cjs" }),
  build({ ...common, entryPoints: ["src/launcher/thin.ts"], outfile: "dist/orch-thin.cjs", metafile: true }).then(({ metafile }) => {
    // The thin client's point is what it does not load.
    const kept = Object.values(metafile.outputs).flatMap((output) => Object.entries(output.inputs).filter(([, input]) => input.bytesInOutput > 0))
    const effect = kept.map(([file]) => file).filter((file) => file.includes("node_modules/effect/"))
    if (effect.length > 0) throw new Error(`dist/orch-thin.cjs must not bundle Effect, and has ${effect.length} of its files (${effect.slice(0, 3).join(", ")}…)`)
  }),
  build({ ...common, entryPoints: ["src/launcher/bin.ts"], outfile: "dist/orch.cjs", sourcemap: false, banner: { js: "#!/usr/bin/env node" } })
])
await chmod("dist/orch.cjs", 0o755)
// The API's docs page (Scalar, as @effect/platform's HttpApiScalar ships it): a file beside the
// bundle that the daemon serves, rather than 3 MB inside the bundle every command loads.
const require = createRequire(import.meta.url)
const { javascript } = require(path.join(path.dirname(require.resolve("@effect/platform/HttpApiScalar")), "internal", "httpApiScalar.js"))
await writeFile("dist/api-docs.js", javascript)
// The web console (web/), which the daemon serves at /: built by Vite beside dist/web, then moved
// in file by file (each rename replaces a file whole), its assets before the page that names them,
// and what the new build no longer has removed last. A daemon serving the console meanwhile (the
// tests rebuild while others run) never sends a missing or half-written file.
const staging = path.resolve("dist/.web-staging")
await buildWeb({ configFile: "web/vite.config.ts", build: { outDir: staging, emptyOutDir: true } })
const moveIn = (from, to) => {
  mkdirSync(to, { recursive: true })
  const entries = readdirSync(from, { withFileTypes: true }).sort((a, b) => Number(b.isDirectory()) - Number(a.isDirectory()))
  for (const entry of entries) {
    if (entry.isDirectory()) moveIn(path.join(from, entry.name), path.join(to, entry.name))
    else renameSync(path.join(from, entry.name), path.join(to, entry.name))
  }
  for (const entry of readdirSync(to, { withFileTypes: true })) {
    if (!entry.isDirectory() && !entries.some((kept) => kept.name === entry.name)) rmSync(path.join(to, entry.name))
  }
}
moveIn(staging, "dist/web")
rmSync(staging, { recursive: true, force: true })
