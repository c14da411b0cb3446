import * as fs from "node:fs"
import * as path from "node:path"
import { Effect, Either } from "effect"
import { discoverInstances, readInstanceConfig } from "../../config/discover.js"
import { instancesDir } from "../../config/home.js"
import { type InstanceConfig, decodeInstanceConfig } from "../../domain/config.js"
import type { Route } from "../../domain/gateway.js"

/** How long a reading of the configs serves when nothing said they changed (a watch misses edits inside a folder). */
const FRESH_MS = 2_000

/**
 * The configs' files as `stat` sees them (each folder under instances/ and its config.json):
 * after FRESH_MS the table is read again only when this changed. Reading and decoding every
 * config runs on the daemon's thread, and every 2 s it held up the requests that met it (a
 * profile of the gateway's bench, bench/RESULTS.md); a look at the files is the thread pool's work.
 */
const lookAt = async (root: string): Promise<string> => {
  const entries = await fs.promises.readdir(root).catch(() => [] as Array<string>)
  const stat = (file: string) => fs.promises.stat(file).then((s) => `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`, () => "-")
  const looks = await Promise.all(entries.sort().map(async (entry) => `${entry}=${await stat(path.join(root, entry))},${await stat(path.join(root, entry, "config.json"))}`))
  return looks.join("|")
}

export interface Routed extends Route {
  /** The config on disk, decoded; the gateway's address for a server that runs is the config it was started with. */
  readonly config: InstanceConfig
}

/**
 * The instances the gateway can route to: every config on disk that decodes, read again when the
 * instances folder changes, when a model is asked for that none has, or when a look every
 * FRESH_MS finds the files changed. Requests never wait for a reading but the first and one for
 * a model not found.
 */
export const makeRouteTable = (home: string) => {
  let routes: ReadonlyArray<Routed> = []
  let readAt = -Infinity
  let reading: Promise<ReadonlyArray<Routed>> | undefined
  let looked: string | undefined
  let looking: Promise<void> | undefined

  const read = () =>
    (reading ??= Effect.runPromise(
      Effect.gen(function* () {
        looked = yield* Effect.promise(() => lookAt(instancesDir(home)))
        const { names } = yield* discoverInstances(home)
        const found: Array<Routed> = []
        for (const name of names) {
          const decoded = Either.flatMap(yield* readInstanceConfig(home, name), (raw) => Either.mapLeft(decodeInstanceConfig(raw), () => undefined))
          if (Either.isRight(decoded)) found.push({ name, gateway: decoded.right.gateway, config: decoded.right })
        }
        return found
      })
    ).then((found) => {
      routes = found
      readAt = performance.now()
      reading = undefined
      return found
    }))

  /** After FRESH_MS: read again if the files changed, else the reading serves FRESH_MS more. */
  const lookAgain = () =>
    (looking ??= lookAt(instancesDir(home)).then((now) => {
      looking = undefined
      if (now === looked) readAt = performance.now()
      else void read()
    }))

  let watcher: fs.FSWatcher | undefined
  try {
    watcher = fs.watch(instancesDir(home), { persistent: false }, () => {
      readAt = -Infinity
      looked = undefined
    })
  } catch {
    // No instances folder yet: the reading every FRESH_MS finds the first one made.
  }

  return {
    /** The routes now, read again in the background when stale. */
    current: (): ReadonlyArray<Routed> => {
      if (performance.now() - readAt > FRESH_MS && reading === undefined) void lookAgain()
      return routes
    },
    /** The routes, read now if none were yet or if `forced` (a model no route has). */
    fresh: (forced: boolean): Promise<ReadonlyArray<Routed>> => (forced || readAt === -Infinity ? read() : Promise.resolve(routes)),
    close: () => watcher?.close()
  }
}

export type RouteTable = ReturnType<typeof makeRouteTable>
