import * as fs from "node:fs/promises"
import * as path from "node:path"
import { Effect, Either } from "effect"
import type { FileFinding } from "../domain/findings.js"
import { checkName } from "../domain/name.js"
import { configFile, instancesDir } from "./home.js"

export interface Discovered {
  /** Instances whose folder name is valid and that hold a config.json. */
  readonly names: ReadonlyArray<string>
  /** Folders that look like instances but cannot be one. */
  readonly findings: ReadonlyArray<FileFinding>
}

/** The instances of a home: every folder under `<home>/instances` (hidden ones aside). */
export const discoverInstances = (home: string): Effect.Effect<Discovered> =>
  Effect.promise(async () => {
    const root = instancesDir(home)
    const entries = await fs.readdir(root, { withFileTypes: true }).catch(() => [])
    const names: Array<string> = []
    const findings: Array<FileFinding> = []
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (!entry.isDirectory() || entry.name.startsWith(".")) continue
      const file = configFile(home, entry.name)
      const named = checkName(entry.name)
      if (Either.isLeft(named)) {
        findings.push({ file: path.join(root, entry.name), instance: entry.name, field: "", problem: named.left, hint: "rename the folder: the folder name is the instance name" })
        continue
      }
      const exists = await fs.stat(file).then((stat) => stat.isFile(), () => false)
      if (exists) names.push(entry.name)
      else findings.push({ file, instance: entry.name, field: "", problem: "the folder has no config.json", hint: `create it with \`orch init ${entry.name} --model PATH\`, or remove the folder` })
    }
    return { names, findings }
  })
