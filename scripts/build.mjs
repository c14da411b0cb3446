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
// few lines that loads the full CLI, or for `orch ps` a bundle without the CLI framework, which
// starts faster still (bench/RESULTS.md).
await Promise.all([
  build({ ...common, entryPoints: ["src/main.ts"], outfile: "dist/orch-cli.cjs" }),
  build({ ...common, entryPoints: ["src/launcher/fast-ps.ts"], outfile: "dist/orch-ps.cjs" }),
  build({ ...common, entryPoints: ["src/launcher/bin.ts"], outfile: "dist/orch.cjs", sourcemap: false, banner: { js: "#!/usr/bin/env node" } })
])
await chmod("dist/orch.cjs", 0o755)
// The API's docs page (Scalar, as @effect/platform's HttpApiScalar ships it): a file beside the
// bundle that the daemon serves, rather than 3 MB inside the bundle every command loads.
const require = createRequire(import.meta.url)
const { javascript } = require(path.join(path.dirname(require.resolve("@effect/platform/HttpApiScalar")), "internal", "httpApiScalar.js"))
await writeFile("dist/api-docs.js", javascript)
// The web console (web/), which the daemon serves at /: built by Vite into dist/web.
await buildWeb({ configFile: "web/vite.config.ts" })
