/**
 * Issue 6's figures: `orch ps` from a cold process with 20 instances on a 1,000,000-event journal,
 * beside `pm2 ls` listing 5 apps (pm2 installed into a temp folder) and a bare `node -e 0`, in one
 * run; and `orch ps` on a 1,000,000- vs a 1,000-event journal.
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect } from "effect"
import { Journal } from "../src/journal/Journal.js"
import { INSTANCES, fill, instanceName, run } from "./journal-fill.js"
import { withPm2 } from "./pm2.js"
import { SIM, TINY_MODEL, portBase } from "./sim-home.js"
import { median, report } from "./stats.js"

const ROUNDS = 15
const ORCH = path.join(process.cwd(), "dist/orch.cjs")
const work = fs.mkdtempSync(path.join(os.tmpdir(), "orch-ps-bench-"))

/** A home with INSTANCES configs on disk, each applied in the journal, then `events` more events. */
const homeWith = async (name: string, events: number) => {
  const home = path.join(work, name)
  const file = path.join(home, "journal", "orch.db")
  for (let i = 0; i < INSTANCES; i++) {
    const config = { model: { path: TINY_MODEL }, server: { port: 9000 + i } }
    fs.mkdirSync(path.join(home, "instances", instanceName(i)), { recursive: true })
    fs.writeFileSync(path.join(home, "instances", instanceName(i), "config.json"), JSON.stringify(config))
    await run(file, Effect.flatMap(Journal, (journal) => journal.append([{ instance: instanceName(i), event: { _tag: "ConfigApplied", config, hash: `h${i}` } }])))
  }
  await fill(file, events)
  return home
}

/** Wall time of a whole command, process start to exit, median of ROUNDS after one warm-up. */
const timed = (command: () => void) => {
  command()
  const samples: Array<number> = []
  for (let round = 0; round < ROUNDS; round++) {
    const start = performance.now()
    command()
    samples.push(performance.now() - start)
  }
  return median(samples)
}

const orchPs = (home: string) => () => void execFileSync(process.execPath, [ORCH, "ps", "--home", home], { stdio: "ignore", env: { ...process.env, NO_COLOR: "1" } })

const main = async () => {
  console.log(`ps benchmark: ${os.cpus().length} × ${os.cpus()[0]?.model}, node ${process.version}, ${new Date().toISOString().slice(0, 10)}`)
  const big = await homeWith("big", 1_000_000)
  const small = await homeWith("small", 1_000)
  const base = portBase(5)
  // The warm-up run of each leaves the snapshot that every later status query starts from.
  const { orchBig, orchSmall, pm2, bare } = await withPm2((pm2) => {
    for (let i = 0; i < 5; i++) pm2.run("start", SIM, "--name", `sim-${i}`, "--", "--port", String(base + i), "-m", TINY_MODEL, "--sim-load-ms", "0")
    return {
      orchBig: timed(orchPs(big)),
      orchSmall: timed(orchPs(small)),
      pm2: timed(() => pm2.run("ls")),
      bare: timed(() => void execFileSync(process.execPath, ["-e", "0"]))
    }
  })
  report("`node -e 0`", `${bare.toFixed(0)} ms`, "(for scale)", undefined)
  report("`pm2 ls`, 5 apps", `${pm2.toFixed(0)} ms`, "(the peer)", undefined)
  report("`orch ps`, 20 instances, 1,000,000 events", `${orchBig.toFixed(0)} ms`, "(recorded)", undefined)
  report("ratio orch ps / pm2 ls", (orchBig / pm2).toFixed(2), "≤ 1.0", orchBig / pm2 <= 1)
  report("`orch ps`, 20 instances, 1,000 events", `${orchSmall.toFixed(0)} ms`, "(recorded)", undefined)
  report("ratio 1,000,000 / 1,000 events", (orchBig / orchSmall).toFixed(2), "≤ 1.2", orchBig / orchSmall <= 1.2)
}

main().finally(() => fs.rmSync(work, { recursive: true, force: true }))
