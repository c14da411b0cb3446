/**
 * Issue 4's latency figures: StartRequested appended → ProcessSpawned committed, and a server's
 * exit → ProcessExited committed, through a real daemon and simulator; and, in the same run,
 * pm2's start-to-running (pm2 installed into a temp folder, not a dependency of ours).
 *
 * Issue 22's: `orch up --no-wait` until the server is spawned ≤ 1.0 × `pm2 start` until started,
 * each the median of UP_ROUNDS (default 15) a run, over UP_RUNS runs (default 5): each run's
 * figures, then the median of the runs and the worst. LIFECYCLE_ROUNDS (default 200) rounds of
 * the spawn/exit latencies: `LIFECYCLE_ROUNDS=5 UP_RUNS=1 UP_ROUNDS=2 npm run bench lifecycle`
 * checks it end to end.
 */
import { execFileSync, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import Database from "better-sqlite3"
import { Effect, Stream } from "effect"
import type { Envelope } from "../src/domain/events.js"
import { Journal, JournalLive } from "../src/journal/Journal.js"
import { onInterrupt } from "./interrupt.js"
import { type Pm2, withPm2 } from "./pm2.js"
import { median, percentile, report } from "./stats.js"

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback)
const ROUNDS = env("LIFECYCLE_ROUNDS", 200)
const UP_ROUNDS = env("UP_ROUNDS", 15)
const UP_RUNS = env("UP_RUNS", 5)
const repo = process.cwd()
const sim = path.join(repo, "test/sim/llama-server.mjs")
const orch = path.join(repo, "dist/orch.cjs")
const home = fs.mkdtempSync(path.join(os.tmpdir(), "orch-lifecycle-"))
const port = 28_400 + Math.floor(Math.random() * 500)

const config = { model: { path: path.join(repo, "test/sim/tiny.gguf") }, server: { port }, binary: [process.execPath, sim], args: ["--sim-load-ms", "0"] }

const orchRun = (...args: Array<string>) => execFileSync(process.execPath, [orch, ...args, "--home", home], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } })

/** Waits for the first event of `type` after `after`: its envelope. */
const next = (type: string, after: number) =>
  Effect.flatMap(Journal, (journal) =>
    Stream.runHead(Stream.filter(journal.tail({ after, instance: "bench" }), (envelope) => envelope.event._tag === type)).pipe(
      Effect.map((found) => (found._tag === "Some" ? found.value : undefined) as Envelope),
      Effect.timeout("10 seconds")
    )
  )

const orchFigures = Effect.gen(function* () {
  const journal = yield* Journal
  const spawnMs: Array<number> = []
  const exitMs: Array<number> = []
  yield* journal.append([{ instance: "bench", event: { _tag: "ConfigApplied", config, hash: "bench" } }])
  for (let round = 0; round < ROUNDS; round++) {
    const [requested] = yield* journal.append([{ instance: "bench", event: { _tag: "StartRequested", by: "cli" } }])
    const requestedAt = (yield* Stream.runCollect(journal.read({ after: requested! - 1, until: requested! })))
    const spawned = yield* next("ProcessSpawned", requested!)
    spawnMs.push(spawned.at - [...requestedAt][0]!.at)
    if (spawned.event._tag !== "ProcessSpawned") continue
    yield* Effect.sleep("100 millis")
    const killedAt = Date.now()
    process.kill(spawned.event.pid, "SIGKILL")
    const exited = yield* next("ProcessExited", spawned.seq)
    exitMs.push(exited.at - killedAt)
    yield* Effect.sleep("50 millis")
  }
  return { spawnMs, exitMs }
})

/** `pm2 start` until pm2 says started, UP_ROUNDS times (each app deleted after). */
const pm2Figures = (pm2: Pm2) => {
  const samples: Array<number> = []
  for (let round = 0; round < UP_ROUNDS; round++) {
    const start = performance.now()
    pm2.run("start", sim, "--name", "bench", "--", "--port", String(port + 1), "-m", config.model.path, "--sim-load-ms", "0")
    samples.push(performance.now() - start)
    pm2.run("delete", "bench")
  }
  return samples
}

/** Blocks the bench for `ms` (the polls below must not give the event loop a turn they would then wait for). */
const pause = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)

/**
 * The spawn is seen in the journal itself, read-only from this process every 1 ms (the daemon
 * commits there): asking `orch events` each time, as before, put a whole CLI start in the figure.
 */
const spawnCounter = () => {
  const db = new Database(path.join(home, "journal", "orch.db"), { readonly: true, fileMustExist: true, timeout: 5_000 })
  const count = db.prepare<[], { n: number }>("SELECT count(*) AS n FROM events WHERE type = 'ProcessSpawned' AND instance = 'bench'")
  return { count: () => count.get()!.n, close: () => db.close() }
}

/** `orch up --no-wait` until the daemon has committed a new ProcessSpawned, UP_ROUNDS times (each followed by `orch down`). */
const orchUpFigures = () => {
  const spawns = spawnCounter()
  try {
    const samples: Array<number> = []
    for (let round = 0; round < UP_ROUNDS; round++) {
      const before = spawns.count()
      const start = performance.now()
      orchRun("up", "bench", "--no-wait")
      // --no-wait returns once the request is recorded; running means a new ProcessSpawned committed.
      for (let look = 0; look < 10_000 && spawns.count() === before; look++) pause(1)
      if (spawns.count() === before) throw new Error("no ProcessSpawned within 10,000 looks of `orch up bench --no-wait`")
      samples.push(performance.now() - start)
      orchRun("down", "bench")
    }
    return samples
  } finally {
    spawns.close()
  }
}

const main = async () => {
  console.log(`lifecycle benchmarks: ${os.cpus().length} × ${os.cpus()[0]?.model}, node ${process.version}, ${new Date().toISOString().slice(0, 10)}`)
  fs.mkdirSync(path.join(home, "instances", "bench"), { recursive: true })
  fs.writeFileSync(path.join(home, "instances", "bench", "config.json"), JSON.stringify(config))
  const stopDaemon = () => spawnSync(process.execPath, [orch, "daemon", "stop", "--all", "--home", home], { stdio: "ignore" })
  const interrupted = onInterrupt(stopDaemon)
  try {
    orchRun("daemon", "start")
    const { spawnMs, exitMs } = await Effect.runPromise(Effect.scoped(Effect.provide(orchFigures, JournalLive(path.join(home, "journal", "orch.db")))))
    report("StartRequested → ProcessSpawned committed", `p50 ${percentile(spawnMs, 50)} ms, p99 ${percentile(spawnMs, 99)} ms`, "p99 ≤ 20 ms", percentile(spawnMs, 99) <= 20)
    report("server exit → ProcessExited committed", `p50 ${percentile(exitMs, 50)} ms, p99 ${percentile(exitMs, 99)} ms`, "p99 ≤ 20 ms", percentile(exitMs, 99) <= 20)
    const runs = await withPm2((pm2) => {
      const figures: Array<{ up: number; pm2: number }> = []
      for (let run = 0; run < UP_RUNS; run++) {
        const up = median(orchUpFigures())
        const started = median(pm2Figures(pm2))
        figures.push({ up, pm2: started })
        console.log(`  run ${run + 1}: orch up --no-wait until spawned ${up.toFixed(0)} ms, pm2 start ${started.toFixed(0)} ms (medians of ${UP_ROUNDS}), ratio ${(up / started).toFixed(2)}`)
      }
      return figures
    })
    const med = (figure: (run: { up: number; pm2: number }) => number) => median(runs.map(figure))
    const worst = (figure: (run: { up: number; pm2: number }) => number) => Math.max(...runs.map(figure))
    console.log(`median of ${UP_RUNS} runs [the worst run]:`)
    report("`orch up --no-wait` until spawned (CLI wall time)", `${med((r) => r.up).toFixed(0)} ms [${worst((r) => r.up).toFixed(0)} ms]`, "(recorded)", undefined)
    report("`pm2 start` until started (CLI wall time)", `${med((r) => r.pm2).toFixed(0)} ms [${worst((r) => r.pm2).toFixed(0)} ms]`, "(the peer)", undefined)
    report("ratio orch / pm2", `${med((r) => r.up / r.pm2).toFixed(2)} [${worst((r) => r.up / r.pm2).toFixed(2)}]`, "≤ 1.0", med((r) => r.up / r.pm2) <= 1)
  } finally {
    interrupted()
    stopDaemon()
    fs.rmSync(home, { recursive: true, force: true })
  }
}

void main()
