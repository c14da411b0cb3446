import * as fs from "node:fs"
import { Effect, Either } from "effect"
import { discoverInstances, readInstanceConfig } from "../../config/discover.js"
import { instancesDir } from "../../config/home.js"
import { type InstanceConfig, decodeInstanceConfig } from "../../domain/config.js"
import type { Route } from "../../domain/gateway.js"

/** How long a reading of the configs serves when nothing said they changed (a watch misses edits inside a folder). */
const FRESH_MS = 2_000

export interface Routed extends Route {
  /** The config on disk, decoded; the gateway's address for a server that runs is the config it was started with. */
  readonly config: InstanceConfig
}

/**
 * The instances the gateway can route to: every config on disk that decodes, read again when the
 * instances folder changes, when a model is asked for that none has, or after FRESH_MS. Requests
 * never wait for a reading but the first and one for a model not found.
 */
export const makeRouteTable = (home: string) => {
  let routes: ReadonlyArray<Routed> = []
  let readAt = -Infinity
  let reading: Promise<ReadonlyArray<Routed>> | undefined

  const read = () =>
    (reading ??= Effect.runPromise(
      Effect.gen(function* () {
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

  let watcher: fs.FSWatcher | undefined
  try {
    watcher = fs.watch(instancesDir(home), { persistent: false }, () => void (readAt = -Infinity))
  } catch {
    // No instances folder yet: the reading every FRESH_MS finds the first one made.
  }

  return {
    /** The routes now, read again in the background when stale. */
    current: (): ReadonlyArray<Routed> => {
      if (performance.now() - readAt > FRESH_MS) void read()
      return routes
    },
    /** The routes, read now if none were yet or if `forced` (a model no route has). */
    fresh: (forced: boolean): Promise<ReadonlyArray<Routed>> => (forced || readAt === -Infinity ? read() : Promise.resolve(routes)),
    close: () => watcher?.close()
  }
}

export type RouteTable = ReturnType<typeof makeRouteTable>
