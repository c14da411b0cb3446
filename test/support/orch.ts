import { spawnSync } from "node:child_process"
import * as path from "node:path"

export const ORCH = path.resolve("dist/orch.cjs")
/** The full CLI without the launcher, which takes `orch ps` to a fast path of its own. */
export const ORCH_CLI = path.resolve("dist/orch-cli.cjs")

export interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs the built `orch` as a real process, with colour off unless the test turns it on. */
export const orch = (
  args: ReadonlyArray<string>,
  options: { readonly cwd?: string; readonly env?: NodeJS.ProcessEnv; readonly timeoutMs?: number; readonly entry?: string } = {}
): Run => {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", ...options.env }
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key]
  if (options.env?.["LLAMA_ORCH_HOME"] === undefined) delete env["LLAMA_ORCH_HOME"]
  const result = spawnSync(process.execPath, [options.entry ?? ORCH, ...args], { cwd: options.cwd ?? process.cwd(), env, encoding: "utf8", timeout: options.timeoutMs ?? 15_000 })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

/** Neither output may carry a stack trace: user mistakes get messages, not internals. */
export const hasStackTrace = (run: Run) => /^\s+at .+:\d+:\d+\)?$/m.test(run.stdout + run.stderr)
