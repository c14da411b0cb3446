import { constants } from "node:fs"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { Effect } from "effect"
import { binaryArgv } from "../domain/argv.js"
import type { InstanceConfig } from "../domain/config.js"
import type { Finding } from "../domain/findings.js"
import { notAFile, openNonBlocking } from "./file-kind.js"
import { fromHome, logsDirFor } from "./home.js"
import { probePort } from "./port.js"

/** Checks of a decoded config against this machine, as it is right now. */

const GGUF_MAGIC = Buffer.from("GGUF", "ascii")

const errno = (error: unknown) => (error as NodeJS.ErrnoException).code ?? String(error)

export const checkModel = (home: string, config: InstanceConfig): Effect.Effect<ReadonlyArray<Finding>> =>
  Effect.promise(async (): Promise<ReadonlyArray<Finding>> => {
    const file = fromHome(home, config.model.path)
    const field = "model.path"
    const notFile = (kind: string): ReadonlyArray<Finding> => [{ field, problem: `${file} is ${kind}, not a file`, hint: "point model.path at a .gguf file" }]
    let handle: fs.FileHandle | undefined
    try {
      // Stat before opening: opening a FIFO would wait for a writer, forever.
      const kind = notAFile(await fs.stat(file))
      if (kind !== undefined) return notFile(kind)
      handle = await openNonBlocking(file)
      // It may have been swapped since the stat: the open handle is what counts.
      const opened = notAFile(await handle.stat())
      if (opened !== undefined) return notFile(opened)
      const head = Buffer.alloc(4)
      const { bytesRead } = await handle.read(head, 0, 4, 0)
      return bytesRead === 4 && head.equals(GGUF_MAGIC)
        ? []
        : [{ field, problem: `${file} is not a GGUF model (it does not start with "GGUF")`, hint: "llama-server loads GGUF files; convert the model or pick the .gguf file" }]
    } catch (error) {
      return [{
        field,
        problem: errno(error) === "ENOENT" ? `model file not found: ${file}` : `cannot read ${file} (${errno(error)})`,
        hint: "download the model or fix model.path (relative paths start at the home folder)"
      }]
    } finally {
      await handle?.close()
    }
  })

export const checkPort = (config: InstanceConfig): Effect.Effect<ReadonlyArray<Finding>> =>
  probePort(config.server.host, config.server.port).pipe(
    Effect.map((state): ReadonlyArray<Finding> => {
      const where = `${config.server.host}:${config.server.port}`
      switch (state._tag) {
        case "Free":
          return []
        case "InUse":
          return [{ field: "server.port", problem: `${where} is in use by another process`, hint: "stop that process or choose another port" }]
        case "Unusable":
          return state.code === "EACCES"
            ? [{ field: "server.port", problem: `${where} needs privileges to bind (EACCES)`, hint: "use a port above 1023" }]
            : [{ field: "server.host", problem: `cannot listen on ${where} (${state.code})`, hint: "use an address of this machine, such as 127.0.0.1" }]
      }
    })
  )

/** The nearest folder that exists at or above `dir`, with what stands there. */
const nearestExisting = async (dir: string): Promise<{ readonly dir: string; readonly isDir: boolean }> => {
  try {
    return { dir, isDir: (await fs.stat(dir)).isDirectory() }
  } catch {
    const parent = path.dirname(dir)
    return parent === dir ? { dir, isDir: false } : nearestExisting(parent)
  }
}

/** Creatable and writable, checked without creating anything: validation has no side effects. */
export const checkLogsDir = (file: string): Effect.Effect<ReadonlyArray<Finding>> =>
  Effect.promise(async (): Promise<ReadonlyArray<Finding>> => {
    const logs = logsDirFor(path.resolve(file))
    const found = await nearestExisting(logs)
    if (!found.isDir) {
      return [{ field: "logs", problem: `cannot create the log folder ${logs}: ${found.dir} is not a folder`, hint: "move that file out of the way" }]
    }
    try {
      await fs.access(found.dir, constants.W_OK | constants.X_OK)
      return []
    } catch {
      return [{ field: "logs", problem: `the log folder ${logs} is not writable (${found.dir})`, hint: "fix the folder's permissions or owner" }]
    }
  })

const isExecutable = (file: string) =>
  fs.stat(file).then(
    (stat) => stat.isFile() && fs.access(file, constants.X_OK).then(() => true, () => false),
    () => false
  )

/** Where a command resolves, the way a shell would look it up: a path as is, a name on PATH. */
export const resolveCommand = async (home: string, command: string, env: NodeJS.ProcessEnv): Promise<string | undefined> => {
  if (command.includes("/") || command.includes(path.sep)) {
    const file = fromHome(home, command)
    return (await isExecutable(file)) ? file : undefined
  }
  for (const dir of (env["PATH"] ?? "").split(path.delimiter).filter((entry) => entry !== "")) {
    const file = path.join(dir, command)
    if (await isExecutable(file)) return file
  }
  return undefined
}

export const checkBinary = (home: string, config: InstanceConfig, env: NodeJS.ProcessEnv = process.env): Effect.Effect<ReadonlyArray<Finding>> =>
  Effect.promise(async (): Promise<ReadonlyArray<Finding>> => {
    const command = binaryArgv(config)[0]!
    if ((await resolveCommand(home, command, env)) !== undefined) return []
    const isPath = command.includes("/") || command.includes(path.sep)
    return [{
      field: "binary",
      problem: isPath ? `${fromHome(home, command)} is not an executable file` : `"${command}" is not on PATH`,
      hint: isPath
        ? "fix the path (relative paths start at the home folder) or make the file executable"
        : "install llama.cpp, add its folder to PATH, or set binary to the full path of llama-server"
    }]
  })

/** Every machine check of one decoded config, all reported together. */
export const checkMachine = (home: string, file: string, config: InstanceConfig) =>
  Effect.all([checkModel(home, config), checkPort(config), checkLogsDir(file), checkBinary(home, config)], {
    concurrency: "unbounded"
  }).pipe(Effect.map((groups) => groups.flat()))
