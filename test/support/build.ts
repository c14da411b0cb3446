import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { build } from "esbuild"
import type { TestProject } from "vitest/node"
import { build as buildLlamaServer } from "../../scripts/llama-server.mjs"
import { CRASH_WRITER } from "../journal/crash-round.js"
import { makeModels } from "./gguf.js"

declare module "vitest" {
  export interface ProvidedContext {
    /** The real llama-server, built from the llama.cpp source node-llama-cpp ships. */
    llamaServer: string
    /** Tiny GGUF models made for this run: see test/support/gguf.ts. */
    models: { readonly tiny: string; readonly other: string; readonly slow: string }
  }
}

/**
 * The end-to-end tests run the bundled `orch` and test helpers as processes: bundle them once.
 * The real llama-server is built once per machine (10–25 minutes the first time) and the models
 * are written once per run, into a temp folder removed at the end.
 */
export default async function setup(project: TestProject) {
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
  project.provide("llamaServer", await buildLlamaServer())
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "orch-models-"))
  project.provide("models", makeModels(dir))
  return () => fs.rmSync(dir, { recursive: true, force: true })
}
