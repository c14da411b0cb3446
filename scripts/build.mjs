import { chmod } from "node:fs/promises"
import { build } from "esbuild"

// One bundled file: an unbundled Effect CLI took 870 ms to start here, a bundle 229 ms.
await build({
  entryPoints: ["src/main.ts"],
  outfile: "dist/orch.cjs",
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
  banner: { js: "#!/usr/bin/env node" },
  logLevel: "warning"
})
await chmod("dist/orch.cjs", 0o755)
