import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach } from "vitest"
import { platform } from "../../src/runtime/platform/current.js"
import { tempHome } from "./home.js"
import { orch } from "./orch.js"
import { SIM, TINY_MODEL } from "./sim.js"

const { findMarked, startTimeOf } = platform

const homes: Array<string> = []

const kill = (pid: number) => {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, "SIGKILL")
    } catch {
      // gone already
    }
  }
}

/** The daemon of a home, if its pid file names a live process. */
export const daemonPid = (home: string): number | undefined => {
  try {
    const [pid, start] = fs.readFileSync(path.join(home, "journal", "daemon.pid"), "utf8").trim().split(" ")
    return startTimeOf(Number(pid)) === start ? Number(pid) : undefined
  } catch {
    return undefined
  }
}

/** Everything a test started under its homes dies after it: daemons and marked servers, by pid. */
afterEach(() => {
  for (const home of homes.splice(0)) {
    const daemon = daemonPid(home)
    if (daemon !== undefined) kill(daemon)
    for (const server of findMarked(home)) kill(server.pid)
  }
})

/** A temp home whose daemon and servers are killed after the test. */
export const supervisedHome = () => {
  const home = tempHome()
  homes.push(home)
  return home
}

/** A supervised home with the simulator's tiny model. */
export const simHome = () => {
  const home = supervisedHome()
  fs.copyFileSync(TINY_MODEL, path.join(home, "tiny.gguf"))
  return home
}

/** An instance that runs the simulator on `port`, with extra simulator flags and config fields. */
export const addSim = (home: string, name: string, port: number, args: ReadonlyArray<string> = [], extra: Record<string, unknown> = {}) => {
  const dir = path.join(home, "instances", name)
  fs.mkdirSync(dir, { recursive: true })
  const config = { model: { path: "tiny.gguf" }, server: { port }, binary: [process.execPath, SIM], args: ["--sim-load-ms", "50", ...args], stop_timeout: "3s", ...extra }
  fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify(config, null, 2))
}

/** This home's live servers, as their markers show them. */
export const servers = (home: string) => findMarked(home).map((marked) => ({ pid: marked.pid, instance: marked.instance }))

export interface JournalLine {
  readonly seq: number
  readonly at: number
  readonly instance: string | null
  readonly type: string
  readonly data: Record<string, unknown>
}

/** The journal of a home as `orch events --json` prints it, optionally of one instance. */
export const types = (home: string, instance?: string): ReadonlyArray<JournalLine> =>
  orch(["events", "--home", home, "--json", ...(instance === undefined ? [] : ["--instance", instance])])
    .stdout.trim().split("\n").filter((line) => line !== "").map((line) => JSON.parse(line) as JournalLine)

export const count = (home: string, type: string, instance?: string) => types(home, instance).filter((event) => event.type === type).length
