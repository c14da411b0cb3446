/**
 * Journal figures for issue 3: group-commit throughput, durable append latency, a full replay
 * of 1,000,000 events, and a status query on a 1,000,000- vs a 1,000-event journal.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect } from "effect"
import { Journal } from "../src/journal/Journal.js"
import { currentState, replay } from "../src/journal/projection.js"
import { fill, probe, run } from "./journal-fill.js"
import { median, percentile, report } from "./stats.js"

const work = fs.mkdtempSync(path.join(os.tmpdir(), "orch-bench-"))
const now = () => performance.now()

const throughput = async () => {
  const file = path.join(work, "throughput", "orch.db")
  const fibers = 100
  const perFiber = 2_000
  const rates: Array<number> = []
  for (let round = 0; round < 3; round++) {
    const start = now()
    await run(file, Effect.forEach(Array.from({ length: fibers }, (_, i) => i), (fiber) =>
      Effect.flatMap(Journal, (journal) => Effect.repeatN(journal.append([{ instance: `f${fiber}`, event: probe(fiber) }]), perFiber - 1)),
      { concurrency: "unbounded" }))
    rates.push((fibers * perFiber) / ((now() - start) / 1000))
  }
  const rate = median(rates)
  report("group-commit append, 100 fibers, 1 event a call, FULL sync", `${Math.round(rate).toLocaleString("en")} events/s`, "≥ 50,000/s", rate >= 50_000)
}

const latency = async () => {
  const file = path.join(work, "latency", "orch.db")
  const samples: Array<number> = []
  await run(file, Effect.flatMap(Journal, (journal) =>
    Effect.forEach(Array.from({ length: 2_000 }), () => {
      const start = now()
      return Effect.map(journal.append([{ instance: "a", event: probe(1) }]), () => samples.push(now() - start))
    }, { discard: true })))
  report("one durable append, latency", `p50 ${percentile(samples, 50).toFixed(2)} ms, p99 ${percentile(samples, 99).toFixed(2)} ms`, "(recorded)", undefined)
}

const replayMillion = async (file: string) => {
  const times: Array<number> = []
  for (let round = 0; round < 3; round++) {
    const start = now()
    const state = await run(file, replay())
    times.push(now() - start)
    if (state.seq !== 1_000_000) throw new Error(`replayed to ${state.seq}`)
  }
  const ms = median(times)
  report("full replay fold, 1,000,000 mixed events", `${(ms / 1000).toFixed(2)} s`, "≤ 2 s", ms <= 2_000)
}

/** Both journals end with the same 500 events after their newest snapshot, as a live one would. */
const statusQueries = async (big: string) => {
  const small = path.join(work, "small", "orch.db")
  await fill(small, 500)
  await run(small, Effect.flatMap(replay(), (state) => Effect.flatMap(Journal, (journal) => journal.writeSnapshot(state))))
  await fill(small, 500, 500)
  await run(big, Effect.flatMap(replay({ seq: 999_500 }), (state) => Effect.flatMap(Journal, (journal) => journal.writeSnapshot(state))))
  const time = async (file: string) => {
    const samples: Array<number> = []
    for (let round = 0; round < 21; round++) {
      const start = now()
      await run(file, currentState)
      samples.push(now() - start)
    }
    return median(samples)
  }
  await time(big)
  const [bigMs, smallMs] = [await time(big), await time(small)]
  report("status query (open + snapshot + tail), 1,000,000 events", `${bigMs.toFixed(2)} ms`, "(recorded)", undefined)
  report("status query (open + snapshot + tail), 1,000 events", `${smallMs.toFixed(2)} ms`, "(recorded)", undefined)
  report("status query ratio, 1,000,000 / 1,000", `${(bigMs / smallMs).toFixed(2)}`, "≤ 1.2", bigMs / smallMs <= 1.2)
}

const main = async () => {
  console.log(`journal benchmarks: ${os.cpus().length} × ${os.cpus()[0]?.model}, node ${process.version}, ${new Date().toISOString().slice(0, 10)}`)
  await throughput()
  await latency()
  const big = path.join(work, "big", "orch.db")
  await fill(big, 1_000_000)
  await replayMillion(big)
  await statusQueries(big)
}

main().finally(() => fs.rmSync(work, { recursive: true, force: true }))
