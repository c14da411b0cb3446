import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterEach } from "vitest"

const made: Array<string> = []
const immutable: Array<string> = []

afterEach(() => {
  for (const dir of immutable.splice(0)) spawnSync("chattr", ["-i", dir])
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
})

/**
 * A fresh home folder in the temp dir, removed after the test. Its daemon's API listens on a port
 * of its own (0: any free one), as tests run side by side; `orch api` says which.
 */
export const tempHome = (): string => {
  const dir = bareHome()
  fs.writeFileSync(path.join(dir, "orch.json"), `${JSON.stringify({ http: { listen: "127.0.0.1:0" } })}\n`)
  return dir
}

/** A fresh empty folder in the temp dir, removed after the test: a home with no orch.json. */
export const bareHome = (): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "orch-test-"))
  made.push(dir)
  return dir
}

/**
 * A folder nobody can write into, root included (the tests run as root, whom modes do not stop):
 * immutable (chattr +i) where the file system allows it, else read-only by mode, which stops
 * everyone else. Proved by a write, so no test passes on a folder it could in fact write.
 */
export const unwritableDir = (): string => {
  const dir = bareHome()
  const sealed = spawnSync("chattr", ["+i", dir]).status === 0
  if (sealed) immutable.push(dir)
  else fs.chmodSync(dir, 0o555)
  try {
    fs.writeFileSync(path.join(dir, "probe"), "")
  } catch {
    return dir
  }
  throw new Error(`cannot make a folder that this user cannot write (${sealed ? "chattr +i did not stop a write" : "no chattr +i here, and modes do not stop root"})`)
}

/** A file that passes for a GGUF model: the magic, a version, nothing else. */
export const writeModel = (home: string, name = "model.gguf"): string => {
  const file = path.join(home, name)
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, Buffer.concat([Buffer.from("GGUF"), Buffer.from([3, 0, 0, 0])]))
  return file
}

export const writeConfig = (home: string, name: string, config: unknown): string => {
  const file = path.join(home, "instances", name, "config.json")
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, typeof config === "string" ? config : JSON.stringify(config, null, 2))
  return file
}

/** A config that passes every check on this machine: `node` stands in for the binary. */
export const runnableConfig = (port: number, extra: Record<string, unknown> = {}) => ({
  model: { path: "model.gguf" },
  server: { port },
  binary: "node",
  ...extra
})
