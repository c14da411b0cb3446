import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import { Data, Effect } from "effect"
import { checkModel, resolveCommand } from "../config/checks.js"
import { leavesHome } from "../config/discover.js"
import { notAFile } from "../config/file-kind.js"
import { logFiles } from "../config/home.js"
import { probePort } from "../config/port.js"
import { buildArgv, buildEnv } from "../domain/argv.js"
import { redactArgv } from "../domain/redact.js"
import type { InstanceConfig } from "../domain/config.js"
import { serverBaseEnv } from "./daemon-env.js"
import { platform } from "./platform/current.js"

/**
 * Why a server was not started: found before spawning, or by the OS at spawn. `configError`: the
 * config itself is wrong (no retry can mend it); otherwise the machine may change (a port freed).
 */
export class SpawnRefused extends Data.TaggedError("SpawnRefused")<{ readonly reason: string; readonly configError: boolean }> {}

export interface Spawned {
  readonly child: ChildProcess
  readonly pid: number
  readonly startTime: string
  /** Redacted: this is what the journal records. */
  readonly argv: ReadonlyArray<string>
  readonly stdout: string
  readonly stderr: string
  /** Where this run's stderr begins in the (appended) log file. */
  readonly stderrOffset: number
}

/** What must hold before a spawn: the real llama-server would bind a taken port anyway (SO_REUSEPORT). */
const preflight = (home: string, config: InstanceConfig, command: string, env: NodeJS.ProcessEnv) =>
  Effect.gen(function* () {
    const [model] = yield* checkModel(home, config)
    if (model !== undefined) return yield* new SpawnRefused({ reason: model.problem, configError: true })
    const port = yield* probePort(config.server.host, config.server.port)
    if (port._tag === "InUse") return yield* new SpawnRefused({ reason: `port ${config.server.host}:${config.server.port} is in use by another process`, configError: false })
    if (port._tag === "Unusable") return yield* new SpawnRefused({ reason: `cannot listen on ${config.server.host}:${config.server.port} (${port.code})`, configError: false })
    const resolved = yield* Effect.promise(() => resolveCommand(home, command, env))
    if (resolved === undefined) {
      return yield* new SpawnRefused({ reason: command.includes("/") ? `${command} is not an executable file` : `"${command}" is not on PATH`, configError: true })
    }
    return resolved
  })

/**
 * What stands at a log's path if it is not a file. Nothing yet is fine (the spawn makes it); a
 * path that cannot be looked at is left to the open, which says why.
 */
const notALogFile = (file: string) => {
  try {
    const stat = fs.statSync(file, { throwIfNoEntry: false })
    return stat === undefined ? undefined : notAFile(stat)
  } catch {
    return undefined
  }
}

/**
 * What Node or the OS refused at spawn, thrown (a NUL byte, E2BIG) or as an error event. The
 * error's message is not kept: it quotes the offending argument, which may be a secret.
 */
const refusedAtSpawn = (command: string, error: NodeJS.ErrnoException): SpawnRefused => {
  switch (error.code) {
    case "ERR_INVALID_ARG_VALUE":
      return new SpawnRefused({ reason: `cannot start ${command}: an argument or environment variable holds a NUL character`, configError: true })
    case "E2BIG":
      return new SpawnRefused({ reason: `cannot start ${command}: the command line and environment are too large for the OS (E2BIG)`, configError: true })
    default:
      return new SpawnRefused({ reason: `cannot start ${command}: ${error.code ?? error.message}`, configError: error.code === "ENOENT" || error.code === "EACCES" })
  }
}

/**
 * Starts one server: detached (its own process group; on Windows its own hidden console), cwd the
 * home, stdout and stderr appended straight to its log files (descriptors, not pipes, so it
 * outlives the daemon).
 */
export const spawnServer = (home: string, name: string, config: InstanceConfig) =>
  Effect.gen(function* () {
    const argv = buildArgv(name, config)
    const env = buildEnv(serverBaseEnv(process.env), name, home, config)
    const command = yield* preflight(home, config, argv[0]!, env)
    // Its folder may have become a symlink out of the home since `up` read the config: the logs would go there.
    const outside = yield* leavesHome(home, name)
    if (outside !== undefined) return yield* new SpawnRefused({ reason: outside.problem, configError: true })
    const logs = logFiles(home, name)
    // Opening a FIFO to write waits for a reader, and the open is synchronous: the whole daemon would stop.
    for (const file of [logs.stdout, logs.stderr]) {
      const kind = notALogFile(file)
      if (kind !== undefined) return yield* new SpawnRefused({ reason: `the log file ${file} is ${kind}, not a file`, configError: false })
    }
    const opened = yield* Effect.try({
      try: () => {
        fs.mkdirSync(logs.dir, { recursive: true })
        return { out: fs.openSync(logs.stdout, "a"), err: fs.openSync(logs.stderr, "a"), offset: fs.statSync(logs.stderr).size }
      },
      catch: (error) => new SpawnRefused({ reason: `cannot open the log files in ${logs.dir} (${(error as NodeJS.ErrnoException).code ?? String(error)})`, configError: false })
    })
    const child = yield* Effect.async<ChildProcess, SpawnRefused>((resume) => {
      let started: ChildProcess
      try {
        started = spawn(command, argv.slice(1), { cwd: home, env, ...platform.spawnOptions, stdio: ["ignore", opened.out, opened.err] })
      } catch (error) {
        return resume(Effect.fail(refusedAtSpawn(command, error as NodeJS.ErrnoException)))
      }
      started.once("spawn", () => resume(Effect.succeed(started)))
      started.once("error", (error: NodeJS.ErrnoException) => resume(Effect.fail(refusedAtSpawn(command, error))))
    }).pipe(Effect.ensuring(Effect.sync(() => [opened.out, opened.err].forEach((fd) => fs.closeSync(fd)))))
    child.unref()
    const pid = child.pid!
    return {
      child,
      pid,
      startTime: platform.startTimeOf(pid) ?? "unknown",
      argv: redactArgv(argv),
      stdout: logs.stdout,
      stderr: logs.stderr,
      stderrOffset: opened.offset
    } satisfies Spawned
  })

/** The last `count` non-empty lines a run wrote to its stderr log since `offset`. */
export const stderrTail = (file: string, offset: number, count: number): ReadonlyArray<string> => {
  try {
    // Never blocks, should the log have been swapped for a FIFO since the spawn.
    const handle = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK)
    try {
      const size = fs.fstatSync(handle).size
      const from = Math.max(offset, size - 16_384)
      const buffer = Buffer.alloc(size - from)
      fs.readSync(handle, buffer, 0, buffer.length, from)
      return buffer.toString("utf8").split("\n").map((line) => line.trimEnd()).filter((line) => line !== "").slice(-count)
    } finally {
      fs.closeSync(handle)
    }
  } catch {
    return []
  }
}
