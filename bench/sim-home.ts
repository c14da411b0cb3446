/** A temp home of simulated instances, and `orch` run against it, for the benches. */
import { execFileSync, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

const repo = process.cwd()
export const SIM = path.join(repo, "test/sim/llama-server.mjs")
export const TINY_MODEL = path.join(repo, "test/sim/tiny.gguf")
const ORCH = path.join(repo, "dist/orch.cjs")

export const simHome = (prefix: string) => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), `orch-${prefix}-`))
  const orch = (...args: Array<string>) =>
    execFileSync(process.execPath, [ORCH, ...args, "--home", home], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" }, maxBuffer: 64 * 1024 ** 2 })
  return {
    home,
    orch,
    journal: path.join(home, "journal", "orch.db"),
    add: (name: string, config: Record<string, unknown>) => {
      fs.mkdirSync(path.join(home, "instances", name), { recursive: true })
      fs.writeFileSync(path.join(home, "instances", name, "config.json"), JSON.stringify({ model: { path: TINY_MODEL }, binary: [process.execPath, SIM], ...config }))
    },
    daemonPid: () => Number(fs.readFileSync(path.join(home, "journal", "daemon.pid"), "utf8").split(" ")[0]),
    /** Stops the daemon and every server it started, then removes the home. */
    remove: () => {
      spawnSync(process.execPath, [ORCH, "daemon", "stop", "--all", "--home", home], { stdio: "ignore" })
      fs.rmSync(home, { recursive: true, force: true })
    }
  }
}

/** A free-looking port range for one bench run (loopback only), below the kernel's ephemeral ports (32768+). */
export const portBase = (span: number) => 20_000 + Math.floor(Math.random() * (12_000 - span))
