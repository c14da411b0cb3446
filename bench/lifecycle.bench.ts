/**
 * Issue 4's latency figures: StartRequested appended → ProcessSpawned committed, and a server's
 * exit → ProcessExited committed, through a real daemon and simulator; and, in the same run,
 * pm2's start-to-running (pm2 installed into a temp folder, not a dependency of ours).
 */
import { execFileSync, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Stream } from "effect"
import type { Envelope } from "../src/domain/events.js"
import { Journal, JournalLive } from "../src/journal/Journal.js"
import { withPm2 } from "./pm2.js"
import { median, percentile, report } from "./stats.js"

const ROUNDS = 200
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

const pm2Figures = () =>
  withPm2((pm2) => {
    const samples: Array<number> = []
    for (let round = 0; round < 15; round++) {
      const start = performance.now()
      pm2.run("start", sim, "--name", "bench", "--", "--port", String(port + 1), "-m", config.model.path, "--sim-load-ms", "0")
      samples.push(performance.now() - start)
      pm2.run("delete", "bench")
    }
    return samples
  })

const spawnCount = () => orchRun("events", "--instance", "bench", "--type", "ProcessSpawned", "--json").trim().split("\n").filter((line) => line !== "").length

const orchUpFigures = () => {
  const samples: Array<number> = []
  for (let round = 0; round < 15; round++) {
    const before = spawnCount()
    const start = performance.now()
    orchRun("up", "bench", "--no-wait")
    // --no-wait returns once the request is recorded; running means a new ProcessSpawned committed.
    for (let look = 0; look < 100 && spawnCount() === before; look++);
    samples.push(performance.now() - start)
    orchRun("down", "bench")
  }
  return samples
}

const main = async () => {
  console.log(`lifecycle benchmarks: ${os.cpus().length} × ${os.cpus()[0]?.model}, node ${process.version}, ${new Date().toISOString().slice(0, 10)}`)
  fs.mkdirSync(path.join(home, "instances", "bench"), { recursive: true })
  fs.writeFileSync(path.join(home, "instances", "bench", "config.json"), JSON.stringify(config))
  try {
    orchRun("daemon", "start")
    const { spawnMs, exitMs } = await Effect.runPromise(Effect.scoped(Effect.provide(orchFigures, JournalLive(path.join(home, "journal", "orch.db")))))
    report("StartRequested → ProcessSpawned committed", `p50 ${percentile(spawnMs, 50)} ms, p99 ${percentile(spawnMs, 99)} ms`, "p99 ≤ 20 ms", percentile(spawnMs, 99) <= 20)
    report("server exit → ProcessExited committed", `p50 ${percentile(exitMs, 50)} ms, p99 ${percentile(exitMs, 99)} ms`, "p99 ≤ 20 ms", percentile(exitMs, 99) <= 20)
    const up = median(orchUpFigures())
    const pm2 = median(await pm2Figures())
    report("`orch up --no-wait` until spawned (CLI wall time)", `${up.toFixed(0)} ms`, "(recorded)", undefined)
    report("`pm2 start` until started (CLI wall time)", `${pm2.toFixed(0)} ms`, "(recorded)", undefined)
    report("ratio orch / pm2", (up / pm2).toFixed(2), "(recorded)", undefined)
  } finally {
    spawnSync(process.execPath, [orch, "daemon", "stop", "--all", "--home", home], { stdio: "ignore" })
    fs.rmSync(home, { recursive: true, force: true })
  }
}

void main()
