import * as fs from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import { WriteFailed } from "../config/init.js"
import type { Manifest } from "./kubernetes.js"

/**
 * Writes each manifest whole: every one goes to a temporary file first, and only once all are
 * written are they renamed into place, so a failure (a full disk, a folder not ours) leaves no
 * manifest half-written and none of a set replaced while the rest are not.
 */
export const writeManifests = (dir: string, manifests: ReadonlyArray<Manifest>) =>
  Effect.try({
    try: () => {
      fs.mkdirSync(dir, { recursive: true })
      const staged = manifests.map((manifest) => {
        const file = path.join(dir, manifest.fileName)
        const temp = `${file}.${process.pid}.tmp`
        return { file, temp, manifest }
      })
      try {
        for (const { temp, manifest } of staged) fs.writeFileSync(temp, manifest.text)
        for (const { temp, file } of staged) fs.renameSync(temp, file)
      } finally {
        for (const { temp } of staged) fs.rmSync(temp, { force: true })
      }
      return staged.map(({ file }) => file)
    },
    catch: (error) => new WriteFailed({ file: dir, reason: error instanceof Error ? error.message : String(error) })
  })
