import * as v8 from "node:v8"

/** Names the variables the launcher added for the daemon alone, so that its servers never see them. */
export const DAEMON_ONLY = "LLAMA_ORCH_DAEMON_ONLY"

/**
 * The daemon's memory (how much each saves: bench/RESULTS.md):
 * - glibc keeps the memory that V8 frees after compiling our bundle in its heap for good; with
 *   allocations of 32 KiB and more mmapped, it is given back.
 * - V8 grows the young generation to 2 × 16 MB for garbage that dies young anyway; 2 × 4 MB
 *   holds it (only settable at start, hence NODE_OPTIONS).
 */
const TUNING: Readonly<Record<string, string>> = { MALLOC_MMAP_THRESHOLD_: "32768", NODE_OPTIONS: "--max-semi-space-size=4" }

/**
 * V8 lets the old generation grow to about twice what was live after the last full collection
 * before it collects again; 1.2 times keeps it near the 21 MB a busy daemon really holds. Read at
 * every collection, so it can be set once the daemon runs, whoever started it.
 */
const DAEMON_HEAP_FLAGS = "--heap-growing-percent=20"

/** The environment to start the daemon with: ours, plus the tuning the user has not set already. */
export const daemonEnv = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => {
  const added = Object.keys(TUNING).filter((name) => env[name] === undefined)
  const tuned: NodeJS.ProcessEnv = { ...env, [DAEMON_ONLY]: added.join(",") }
  for (const name of added) tuned[name] = TUNING[name]
  return tuned
}

/** The environment the daemon was started with, before the launcher's additions: what servers inherit. */
export const serverBaseEnv = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => {
  const base = { ...env }
  for (const name of (env[DAEMON_ONLY] ?? "").split(",")) if (name !== "") delete base[name]
  delete base[DAEMON_ONLY]
  return base
}

/** The heap tuning that can be set in a running process: the daemon sets it when it starts. */
export const tuneDaemonHeap = () => v8.setFlagsFromString(DAEMON_HEAP_FLAGS)
