import { fileURLToPath } from "node:url"
import { defineConfig } from "vite"

/**
 * The console, built into dist/web, which the daemon serves at / (src/http/console.ts). No React
 * plugin: esbuild turns JSX into React's calls by itself, and there is no dev server to refresh.
 */
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/",
  logLevel: "warn",
  esbuild: { jsx: "automatic" },
  // scripts/build.mjs builds into a folder of its own and moves the files into dist/web.
  build: { outDir: "../dist/web", emptyOutDir: true, target: "es2022", reportCompressedSize: false }
})
