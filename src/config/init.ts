import * as fs from "node:fs/promises"
import * as path from "node:path"
import { Data, Effect, Either } from "effect"
import type { Backend } from "../domain/config.js"
import { checkName } from "../domain/name.js"
import { candidatePorts, profileConfig } from "../domain/profiles.js"
import { discoverInstances } from "./discover.js"
import { configFile, instanceDir } from "./home.js"
import { probePort } from "./port.js"
import { readJsonFile } from "./read.js"

export class InvalidName extends Data.TaggedError("InvalidName")<{ readonly name: string; readonly reason: string }> {}
export class InstanceExists extends Data.TaggedError("InstanceExists")<{ readonly name: string; readonly file: string }> {}
export class PortTaken extends Data.TaggedError("PortTaken")<{ readonly port: number; readonly by: string }> {}
export class NoFreePort extends Data.TaggedError("NoFreePort")<{ readonly tried: number }> {}
export class WriteFailed extends Data.TaggedError("WriteFailed")<{ readonly file: string; readonly reason: string }> {}

/** Ports claimed by the home's instances, read leniently: a broken config still claims its port. */
const claimedPorts = (home: string) =>
  Effect.gen(function* () {
    const { names } = yield* discoverInstances(home)
    const claims = new Map<number, string>()
    for (const name of names) {
      const parsed = yield* readJsonFile(configFile(home, name))
      const port = Either.getOrUndefined(parsed) as { server?: { port?: unknown } } | undefined
      if (typeof port?.server?.port === "number") claims.set(port.server.port, name)
    }
    return claims
  })

const MAX_PORT_TRIES = 200

const choosePort = (home: string, wanted: number | undefined) =>
  Effect.gen(function* () {
    const claims = yield* claimedPorts(home)
    if (wanted !== undefined) {
      const owner = claims.get(wanted)
      return owner === undefined ? wanted : yield* new PortTaken({ port: wanted, by: `instance "${owner}"` })
    }
    let tried = 0
    for (const port of candidatePorts(new Set(claims.keys()))) {
      if (++tried > MAX_PORT_TRIES) break
      if ((yield* probePort("127.0.0.1", port))._tag === "Free") return port
    }
    return yield* new NoFreePort({ tried: MAX_PORT_TRIES })
  })

/** Writes the whole file or nothing, and never over an existing config (link fails on EEXIST). */
const writeNew = (file: string, text: string) =>
  Effect.tryPromise({
    try: async () => {
      await fs.mkdir(path.dirname(file), { recursive: true })
      const temporary = `${file}.${process.pid}.tmp`
      await fs.writeFile(temporary, text, { flag: "wx" })
      try {
        await fs.link(temporary, file)
      } finally {
        await fs.unlink(temporary)
      }
    },
    catch: (error) => error as NodeJS.ErrnoException
  }).pipe(
    Effect.catchAll((error): Effect.Effect<never, InstanceExists | WriteFailed> =>
      error.code === "EEXIST"
        ? new InstanceExists({ name: path.basename(path.dirname(file)), file })
        : new WriteFailed({ file, reason: error.code ?? error.message })
    )
  )

export interface InitRequest {
  readonly home: string
  readonly name: string
  readonly backend: Backend
  readonly model: string
  readonly port?: number
  /** The GPU for vulkan and cuda (default 0). */
  readonly deviceId?: number
}

/** `orch init`: a new instance folder with a config from the profile; returns the file and port. */
export const initInstance = (request: InitRequest) =>
  Effect.gen(function* () {
    const named = checkName(request.name)
    if (Either.isLeft(named)) return yield* new InvalidName({ name: request.name, reason: named.left })
    const file = configFile(request.home, request.name)
    const exists = yield* Effect.promise(() => fs.stat(instanceDir(request.home, request.name)).then(() => true, () => false))
    if (exists) return yield* new InstanceExists({ name: request.name, file })
    const port = yield* choosePort(request.home, request.port)
    const config = profileConfig(request.backend, request.model, port, request.deviceId)
    yield* writeNew(file, `${JSON.stringify(config, null, 2)}\n`)
    return { file, port, config }
  })
