/**
 * Issue 6's figures: `orch ps` from a cold process with 20 instances on a 1,000,000-event journal,
 * beside `pm2 ls` listing 5 apps (pm2 installed into a temp folder) and a bare `node -e 0`, in one
 * run; and `orch ps` on a 1,000,000- vs a 1,000-event journal.
 *
 * Issue 22's: the same `orch ps` on the big home with its daemon running (the CLI a thin client of
 * it), ≤ 0.6 × `pm2 ls` and ≤ 1.5 × `node -e 0`. The whole measurement is repeated PS_RUNS times
 * (default 5) in one bench run: each run's figures, then the median of the runs and the worst.
 * PS_ROUNDS (default 15) commands are timed per figure, PS_EVENTS (default 1,000,000) fill the big
 * journal: `PS_RUNS=1 PS_ROUNDS=2 PS_EVENTS=20000 npm run bench ps` checks it end to end.
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import Database from "better-sqlite3"
import { Effect } from "effect"
import type { NewEvent } from "../src/domain/events.js"
import { Journal } from "../src/journal/Journal.js"
import { startDaemon, stopDaemon } from "./daemon.js"
import { INSTANCES, fill, instanceName, run } from "./journal-fill.js"
import { withPm2 } from "./pm2.js"
import { SIM, TINY_MODEL, portBase } from "./sim-home.js"
import { median, report } from "./stats.js"

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback)
const ROUNDS = env("PS_ROUNDS", 15)
const EVENTS = env("PS_EVENTS", 1_000_000)
const RUNS = env("PS_RUNS", 5)
const ORCH = path.join(process.cwd(), "dist/orch.cjs")
const work = fs.mkdtempSync(path.join(os.tmpdir(), "orch-ps-bench-"))

/**
 * The fill leaves each instance wanted up (StartRequested) with a made-up pid (ProcessSpawned of
 * pid 1000 + i): a daemon started on it would look for those pids and try to start 20 real
 * llama-servers. So each instance's server is recorded exited and a stop requested after the fill:
 * the daemon then has nothing to start or stop, and `orch ps` shows 20 stopped instances with
 * and without it (40 events beside the fill's; both homes get them, for the same work).
 */
const settled = (i: number): Array<NewEvent> => [
  { instance: instanceName(i), event: { _tag: "ProcessExited", pid: 1000 + i, code: 0, signal: null, uptime_ms: 1_000 } },
  { instance: instanceName(i), event: { _tag: "StopRequested", by: "cli" } }
]

/** A home with INSTANCES configs on disk, each applied in the journal, then `events` more events, then each settled. */
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
  await run(file, Effect.flatMap(Journal, (journal) => journal.append(Array.from({ length: INSTANCES }, (_, i) => settled(i)).flat())))
  // Any free port for the daemon's API: no clash with another daemon on the machine.
  fs.writeFileSync(path.join(home, "orch.json"), `${JSON.stringify({ http: { listen: "127.0.0.1:0" } })}\n`)
  return home
}

/** Runs `query` on the home's journal, opened read-only. */
const look = <A>(home: string, query: (db: Database.Database) => A) => {
  const db = new Database(path.join(home, "journal", "orch.db"), { readonly: true, fileMustExist: true })
  try {
    return query(db)
  } finally {
    db.close()
  }
}
const lastSeq = (db: Database.Database) => db.prepare<[], { seq: number }>("SELECT max(seq) AS seq FROM events").get()!.seq
/** Servers started (or tried, or taken over) after `after`: the daemon's run on the big home should record none. */
const startsAfter = (after: number) => (db: Database.Database) =>
  db.prepare<[number], { n: number }>("SELECT count(*) AS n FROM events WHERE seq > ? AND type IN ('ProcessSpawned', 'SpawnFailed', 'ProcessAdopted')").get(after)!.n

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

interface Figures {
  readonly bare: number
  readonly pm2: number
  readonly orchBig: number
  readonly orchSmall: number
  readonly orchDaemon: number
}

const ms = (value: number) => `${value.toFixed(0)} ms`
const fixed = (value: number) => value.toFixed(2)

const main = async () => {
  console.log(`ps benchmark: ${RUNS} runs of ${ROUNDS} rounds, ${EVENTS.toLocaleString("en")} events; ${os.cpus().length} × ${os.cpus()[0]?.model}, node ${process.version}, ${new Date().toISOString().slice(0, 16)}Z`)
  const big = await homeWith("big", EVENTS)
  const small = await homeWith("small", 1_000)
  const base = portBase(5)
  // The warm-up run of each leaves the snapshot that every later status query starts from.
  const runs = await withPm2(async (pm2) => {
    for (let i = 0; i < 5; i++) pm2.run("start", SIM, "--name", `sim-${i}`, "--", "--port", String(base + i), "-m", TINY_MODEL, "--sim-load-ms", "0")
    const figures: Array<Figures> = []
    for (let r = 0; r < RUNS; r++) {
      // Today's figures first, without a daemon; then the same `orch ps` with one on the big home.
      const bare = timed(() => void execFileSync(process.execPath, ["-e", "0"]))
      const pm2Ls = timed(() => pm2.run("ls"))
      const orchBig = timed(orchPs(big))
      const orchSmall = timed(orchPs(small))
      const before = look(big, lastSeq)
      await startDaemon(big)
      let orchDaemon: number
      try {
        orchDaemon = timed(orchPs(big))
      } finally {
        stopDaemon(big)
      }
      const starts = look(big, startsAfter(before))
      if (starts > 0) throw new Error(`the daemon on the big home recorded ${starts} server starts: the figure would not be of 20 stopped instances`)
      figures.push({ bare, pm2: pm2Ls, orchBig, orchSmall, orchDaemon })
      console.log(
        `  run ${r + 1}: node -e 0 ${ms(bare)}, pm2 ls ${ms(pm2Ls)}, orch ps ${ms(orchBig)} (1,000 events: ${ms(orchSmall)}), with the daemon ${ms(orchDaemon)}; ` +
          `ratios: /pm2 ${fixed(orchBig / pm2Ls)}, daemon /pm2 ${fixed(orchDaemon / pm2Ls)}, daemon /node ${fixed(orchDaemon / bare)}`
      )
    }
    return figures
  })
  const med = (figure: (run: Figures) => number) => median(runs.map(figure))
  const worst = (figure: (run: Figures) => number) => Math.max(...runs.map(figure))
  const both = (figure: (run: Figures) => number, format: (value: number) => string) => `${format(med(figure))} [${format(worst(figure))}]`
  console.log(`median of ${RUNS} runs [the worst run]:`)
  report("`node -e 0`", both((r) => r.bare, ms), "(for scale)", undefined)
  report("`pm2 ls`, 5 apps", both((r) => r.pm2, ms), "(the peer)", undefined)
  report(`\`orch ps\`, 20 instances, ${EVENTS.toLocaleString("en")} events, no daemon`, both((r) => r.orchBig, ms), "(recorded)", undefined)
  report("ratio orch ps / pm2 ls, no daemon", both((r) => r.orchBig / r.pm2, fixed), "≤ 1.0", med((r) => r.orchBig / r.pm2) <= 1)
  report("`orch ps`, 20 instances, 1,000 events, no daemon", both((r) => r.orchSmall, ms), "(recorded)", undefined)
  report(`ratio ${EVENTS.toLocaleString("en")} / 1,000 events`, both((r) => r.orchBig / r.orchSmall, fixed), "≤ 1.2", med((r) => r.orchBig / r.orchSmall) <= 1.2)
  report(`\`orch ps\`, ${EVENTS.toLocaleString("en")} events, daemon running`, both((r) => r.orchDaemon, ms), "(recorded)", undefined)
  report("ratio orch ps (daemon) / pm2 ls", both((r) => r.orchDaemon / r.pm2, fixed), "≤ 0.6", med((r) => r.orchDaemon / r.pm2) <= 0.6)
  report("ratio orch ps (daemon) / node -e 0", both((r) => r.orchDaemon / r.bare, fixed), "≤ 1.5", med((r) => r.orchDaemon / r.bare) <= 1.5)
}

main().finally(() => fs.rmSync(work, { recursive: true, force: true }))
