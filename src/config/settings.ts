import { Effect, Either } from "effect"
import type { FileFinding } from "../domain/findings.js"
import { DEFAULT_SETTINGS, type Settings, decodeSettings } from "../domain/settings.js"
import { settingsFile } from "./home.js"
import { readJsonFile } from "./read.js"

/**
 * `<home>/orch.json` read and checked: the settings, or every problem with the file named. A home
 * without one runs with the defaults; a file that is there but cannot be read or is not JSON is
 * a problem, never quietly the defaults (the daemon would listen where the file says it must not).
 */
export const readSettings = (home: string): Effect.Effect<Either.Either<Settings, ReadonlyArray<FileFinding>>> =>
  Effect.gen(function* () {
    const file = settingsFile(home)
    const parsed = yield* readJsonFile(file)
    if (Either.isLeft(parsed)) {
      return parsed.left.problem === "file not found" ? Either.right(DEFAULT_SETTINGS) : Either.left([{ file, ...parsed.left }])
    }
    return Either.mapLeft(decodeSettings(parsed.right), (findings) => findings.map((finding): FileFinding => ({ file, ...finding })))
  })
