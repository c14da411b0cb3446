import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterEach } from "vitest"

const made: Array<string> = []

afterEach(() => {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
})

/** A fresh home folder in the temp dir, removed after the test. */
export const tempHome = (): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "orch-test-"))
  made.push(dir)
  return dir
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
