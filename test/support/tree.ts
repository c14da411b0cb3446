import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"

/** Every entry under a folder with a hash of its content: equal before and after means nothing was written. */
export const tree = (dir: string): Record<string, string> =>
  Object.fromEntries(
    fs.readdirSync(dir, { recursive: true, encoding: "utf8" }).sort().map((entry) => {
      const file = path.join(dir, entry)
      const stat = fs.lstatSync(file)
      const content = stat.isDirectory() ? "(folder)" : stat.isFile() ? createHash("sha256").update(fs.readFileSync(file)).digest("hex") : `(${stat.mode.toString(8)})`
      return [entry, content]
    })
  )
