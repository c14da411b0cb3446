/**
 * pm2, the peer our figures are compared with: installed into a temp folder for one run (it is
 * not a dependency of ours), with its own PM2_HOME so it touches nothing of the machine's.
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { onInterrupt } from "./interrupt.js"

export interface Pm2 {
  readonly run: (...args: Array<string>) => void
  /** The pid of pm2's daemon (God), once `run("ping")` has started it. */
  readonly daemonPid: () => number
}

export const withPm2 = async <A>(use: (pm2: Pm2) => A | Promise<A>): Promise<A> => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "orch-pm2-"))
  const pm2Home = path.join(dir, ".pm2")
  const env = { ...process.env, PM2_HOME: pm2Home }
  const bin = path.join(dir, "node_modules", ".bin", "pm2")
  const run = (...args: Array<string>) => void execFileSync(bin, args, { env, stdio: "ignore" })
  const kill = () => {
    try {
      if (fs.existsSync(bin)) run("kill")
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
  const interrupted = onInterrupt(kill)
  try {
    execFileSync("npm", ["install", "--no-save", "--prefix", dir, "pm2"], { stdio: "ignore" })
    run("ping")
    return await use({ run, daemonPid: () => Number(fs.readFileSync(path.join(pm2Home, "pm2.pid"), "utf8").trim()) })
  } finally {
    interrupted()
    kill()
  }
}
