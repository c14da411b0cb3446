import { Effect, Either } from "effect"
import { InvalidName } from "../config/init.js"
import { checkName } from "../domain/name.js"

/**
 * An instance name from the command line, checked as `orch init` checks it and before anything
 * reads or writes the disk: a name is a folder under instances/ and an `--alias`, so "../x" would
 * reach into another home and "a b" would start a server no config can name.
 */
export const instanceName = (name: string) =>
  Either.match(checkName(name), { onLeft: (reason) => Effect.fail(new InvalidName({ name, reason })), onRight: Effect.succeed })

export const instanceNames = (names: ReadonlyArray<string>) => Effect.forEach(names, instanceName)
