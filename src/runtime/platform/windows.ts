import { execFile, execFileSync, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import { performance } from "node:perf_hooks"
import { promisify } from "node:util"
import { Either } from "effect"
import { configFile } from "../../config/home.js"
import { parseJson } from "../../config/read.js"
import { type InstanceConfig, decodeInstanceConfig } from "../../domain/config.js"
import { pidExists } from "./pid-exists.js"
import type { Marked, Platform } from "./platform.js"
import { instanceOf, splitCommandLine } from "./windows-argv.js"
import { type CimProcess, descendantsIn, lookScript, parseProcesses } from "./windows-cim.js"
import { killArgv, killTreeArgv, powershellArgv } from "./windows-commands.js"

/** The programs run, by name on PATH or by path. */
export interface WindowsTools {
  readonly powershell: string
  readonly taskkill: string
}

/** A PowerShell starting on a busy machine takes seconds; a WMI that hangs must not hold the daemon longer. */
const LOOK_TIMEOUT_MS = 15_000
/** Every process with its command line may pass Node's default of 1 MiB. */
const LOOK_MAX_BUFFER = 64 * 1024 * 1024
const TASKKILL_TIMEOUT_MS = 10_000
/**
 * How long kill(pid, 0) alone vouches for an identity that a look confirmed (see isAlive). A pid
 * is reused only after its process ended: between two checks this close, that is next to never.
 */
const TRUSTED_MS = 10_000

const isPid = (pid: number) => Number.isSafeInteger(pid) && pid > 0


/** An instance's config as the fold decodes it, read synchronously (as findMarked is); undefined if it cannot be. */
const readConfig = (home: string, name: string): InstanceConfig | undefined => {
  let text: string
  try {
    text = fs.readFileSync(configFile(home, name), "utf8")
  } catch {
    return undefined
  }
  return Either.getOrUndefined(Either.flatMap(parseJson(text.replace(/^\uFEFF/, "")), (json) => decodeInstanceConfig(json)))
}

/**
 * Windows, with the tools every Windows has and no native addon: a look at the processes is
 * `Get-CimInstance Win32_Process` through one PowerShell run, and a forced stop is taskkill.
 *
 * There is no Job Object without native code. A server is spawned detached, so it is in no job
 * (not even Node's own, which kills non-detached children when the daemon ends): when the daemon
 * dies its servers keep running, as they must, and the next daemon finds them by their command
 * lines. Nothing kills what a server itself started when the server dies, either.
 * `trustedMs` is for tests: see isAlive.
 */
export const windowsPlatform = (tools: WindowsTools = { powershell: "powershell", taskkill: "taskkill" }, trustedMs = TRUSTED_MS): Platform => {
  const lookOptions = { encoding: "utf8", windowsHide: true, timeout: LOOK_TIMEOUT_MS, maxBuffer: LOOK_MAX_BUFFER } as const

  /** One look, or undefined when PowerShell is missing, fails, takes too long or prints anything else. */
  const look = (script: string): ReadonlyArray<CimProcess> | undefined => {
    try {
      return parseProcesses(execFileSync(tools.powershell, powershellArgv(script), { ...lookOptions, stdio: ["ignore", "pipe", "ignore"] }))
    } catch {
      return undefined
    }
  }

  const taskkill = (argv: ReadonlyArray<string>) => spawnSync(tools.taskkill, argv, { windowsHide: true, stdio: "ignore", timeout: TASKKILL_TIMEOUT_MS })

  const startTimeOf = (pid: number) =>
    isPid(pid) ? look(lookScript({ filter: `ProcessId = ${pid}`, commandLines: false }))?.find((found) => found.pid === pid)?.startTime : undefined

  /** isAlive's identities by pid, as its last look showed them and kill(pid, 0) has vouched for since. */
  const seen = new Map<number, { readonly startTime: string; readonly at: number }>()

  /**
   * kill(pid, 0) says whether the pid is taken, cheaply, but not by whom: a journal's or a pid
   * file's pid may belong to another process by now (after a reboot, surely). So an identity is
   * confirmed by a look (one for every process) the first time it is asked and whenever
   * kill(pid, 0) has not vouched for it within `trustedMs`; a reused pid is caught there. Should
   * the look fail, kill(pid, 0) answers alone, so that a live server is not taken for gone.
   */
  const isAlive = (pid: number, startTime: string) => {
    if (!isPid(pid) || !pidExists(pid)) {
      seen.delete(pid)
      return false
    }
    const now = performance.now()
    const known = seen.get(pid)
    if (known !== undefined && now - known.at <= trustedMs) {
      seen.set(pid, { startTime: known.startTime, at: now })
    } else {
      const all = look(lookScript({ commandLines: false }))
      if (all === undefined) return true
      seen.clear()
      for (const found of all) if (found.startTime !== undefined) seen.set(found.pid, { startTime: found.startTime, at: now })
    }
    return seen.get(pid)?.startTime === startTime
  }

  /**
   * Another process's environment cannot be read on Windows, so a server of this home is known by
   * its command line: `--alias NAME` of an instance of this home whose config gives the same
   * `--port` and `-m` (instanceOf).
   */
  const findMarked = (home: string): ReadonlyArray<Marked> => {
    const found = look(lookScript({ filter: "CommandLine LIKE '%--alias%'", commandLines: true })) ?? []
    const configs = new Map<string, InstanceConfig | undefined>()
    const configOf = (name: string) => {
      if (!configs.has(name)) configs.set(name, readConfig(home, name))
      return configs.get(name)
    }
    return found.flatMap(({ pid, startTime, commandLine }) => {
      if (pid === process.pid || startTime === undefined || commandLine === null) return []
      const instance = instanceOf(splitCommandLine(commandLine), configOf)
      return instance === undefined ? [] : [{ pid, instance, startTime }]
    })
  }

  return {
    name: "windows",
    startTimeOf,
    isAlive,
    findMarked,
    /**
     * llama-server ends cleanly on Ctrl-C only (its console handler ignores Ctrl-Break), and
     * Windows delivers Ctrl-C only on the console it is generated on, never to one process of
     * another. A helper could join the server's console and generate it there, but a server
     * spawned with Node's `detached` (libuv: DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP) has no
     * console to join and Ctrl-C disabled, and one spawned without it is in Node's job, killed
     * with the daemon. So a stop is a kill: llama-server keeps nothing that a clean exit would
     * have saved, and a request in flight is cut either way.
     */
    askToStop: () => false,
    descendants: (pid) =>
      promisify(execFile)(tools.powershell, powershellArgv(lookScript({ commandLines: false })), lookOptions)
        .then(({ stdout }) => descendantsIn(parseProcesses(stdout), pid))
        .catch(() => []),
    killTree: (pid, descendants) => {
      taskkill(killTreeArgv(pid))
      // /T walks parent pids: a descendant whose parent ended before it is out of its reach.
      const left = descendants.filter((child) => isPid(child) && pidExists(child))
      if (left.length > 0) taskkill(killArgv(left))
    },
    // A process that ended cannot be asked for its children on Windows (its pid names no one, or
    // someone else): what is left is only reached by killTree, before the server ends.
    killLeftovers: () => {},
    spawnOptions: { detached: true, windowsHide: true }
  }
}

export const windows: Platform = windowsPlatform()
