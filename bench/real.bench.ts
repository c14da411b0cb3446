/**
 * Issue 13's figures with the real llama-server (built by scripts/llama-server-build.mjs, once
 * per machine) and tiny models written for the run (test/support/gguf.ts):
 * 1. StartRequested appended → healthy seen by another process, for the tiny and the slow model,
 *    beside the same llama-server started by hand and polled in a tight loop (spawn → first 200).
 *    The tight loop slows a loading server down (its HTTP thread answers thousands of 503s a
 *    second on two cores), so the server's own word is measured too: the time its log gives
 *    the "listening" line, written once the model is loaded. The orchestrator's cost of a cold
 *    start is, in each round, the time to healthy seen less the server's own time to ready.
 * 2. kill -9 of the server → healthy again, over REAL_ROUNDS rounds, beside the server's own
 *    start-to-ready time (restart_policy.initial_delay 0 s, so the policy's wait is not counted).
 * 3. The daemon's CPU and RSS while it supervises REAL_SERVERS tiny servers probed every second,
 *    beside those servers' own RSS.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Schema, Stream } from "effect"
import { build as buildLlamaServer } from "../scripts/llama-server.mjs"
import { buildArgv } from "../src/domain/argv.js"
import { InstanceConfig } from "../src/domain/config.js"
import type { Envelope } from "../src/domain/events.js"
import { Journal, JournalLive } from "../src/journal/Journal.js"
import { makeModels } from "../test/support/gguf.js"
import { cpuMs, rssMiB } from "./proc-stats.js"
import { portBase, simHome } from "./sim-home.js"
import { median, percentile, report } from "./stats.js"

const START_ROUNDS = Number(process.env["REAL_START_ROUNDS"] ?? 7)
const ROUNDS = Number(process.env["REAL_ROUNDS"] ?? 25)
const SERVERS = Number(process.env["REAL_SERVERS"] ?? 10)
const SECONDS = Number(process.env["REAL_SECONDS"] ?? 60)

const configFor = (binary: string, model: string, port: number, args: ReadonlyArray<string> = []) => ({
  model: { path: model, context_size: 256, threads: 1 },
  server: { port, parallel: 1 },
  binary,
  args,
  healthcheck: { interval: "1s", timeout: "2s" },
  restart_policy: { initial_delay: "0s", max_retries: 1_000 }
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The server's own ready time, once its log has the line (it may come a moment after the first 200). */
const waitForLine = async (read: () => string) => {
  for (let tries = 0; tries < 200 && !READY_LINE.test(read()); tries++) await sleep(5)
  return ownReadyMs(read())
}

/** When llama-server says it was ready: its logger's time (since its start) on the "listening" line. */
const READY_LINE = /^(\d+)\.(\d{2})\.(\d{3})\.(\d{3}) I srv  llama_server: listening on /m
const ownReadyMs = (log: string) => {
  const found = READY_LINE.exec(log)
  if (found === null) throw new Error("llama-server wrote no listening line")
  const [minutes, seconds, ms, us] = found.slice(1).map(Number) as [number, number, number, number]
  return minutes * 60_000 + seconds * 1_000 + ms + us / 1_000
}

/** The same command line orch would run, started by hand and asked /health as fast as it answers. */
const byHand = async (config: ReturnType<typeof configFor>) => {
  const argv = buildArgv("bench", Schema.decodeUnknownSync(InstanceConfig)(config))
  const started = performance.now()
  const child: ChildProcess = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "ignore", "pipe"] })
  let log = ""
  child.stderr!.on("data", (chunk) => (log += chunk))
  try {
    for (let tries = 0; tries < 100_000; tries++) {
      const status = await fetch(`http://127.0.0.1:${config.server.port}/health`).then((answer) => answer.status, () => 0)
      if (status === 200) return { polled: performance.now() - started, own: await waitForLine(() => log) }
      if (performance.now() - started > 60_000) break
    }
    throw new Error("llama-server started by hand never answered 200")
  } finally {
    child.kill("SIGKILL")
    await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once("exit", resolve)))
  }
}

/** The first event after `after` for `instance` that `wanted` accepts, and when this process saw it. */
const seen = (instance: string, after: number, wanted: (envelope: Envelope) => boolean) =>
  Effect.flatMap(Journal, (journal) =>
    Stream.runHead(Stream.filter(journal.tail({ after, instance }), wanted)).pipe(
      Effect.map((found) => {
        if (found._tag === "None") throw new Error(`no event came for ${instance}`)
        return { envelope: found.value, seenAt: performance.now() }
      }),
      Effect.timeout("120 seconds")
    )
  )
const healthy = (envelope: Envelope) => envelope.event._tag === "HealthProbed" && envelope.event.result === "ok"

/** StartRequested appended → its first ok probe seen here, and the server's own ready time; then stopped again. */
const orchStart = (instance: string, stderrLog: string) =>
  Effect.gen(function* () {
    const journal = yield* Journal
    const logFrom = fs.statSync(stderrLog, { throwIfNoEntry: false })?.size ?? 0
    const started = performance.now()
    const [seq] = yield* journal.append([{ instance, event: { _tag: "StartRequested", by: "cli" } }])
    const ok = yield* seen(instance, seq!, healthy)
    const total = ok.seenAt - started
    const own = yield* Effect.promise(() => waitForLine(() => fs.readFileSync(stderrLog).subarray(logFrom).toString("utf8")))
    const [stop] = yield* journal.append([{ instance, event: { _tag: "StopRequested", by: "cli" } }])
    yield* seen(instance, stop!, (envelope) => envelope.event._tag === "ProcessStopped")
    return { total, own }
  })

/** kill -9 of the running server → a new one healthy, seen here. */
const recovery = (instance: string) =>
  Effect.gen(function* () {
    const journal = yield* Journal
    const times: Array<number> = []
    const [seq] = yield* journal.append([{ instance, event: { _tag: "StartRequested", by: "cli" } }])
    let after = (yield* seen(instance, seq!, healthy)).envelope.seq
    for (let round = 0; round < ROUNDS; round++) {
      const spawned = [...(yield* Stream.runCollect(journal.read({ instance })))].filter((envelope) => envelope.event._tag === "ProcessSpawned").at(-1)!
      if (spawned.event._tag !== "ProcessSpawned") break
      yield* Effect.sleep("300 millis")
      const killed = performance.now()
      process.kill(spawned.event.pid, "SIGKILL")
      const respawned = yield* seen(instance, after, (envelope) => envelope.event._tag === "ProcessSpawned")
      const ok = yield* seen(instance, respawned.envelope.seq, healthy)
      times.push(ok.seenAt - killed)
      after = ok.envelope.seq
    }
    return times
  })

const main = async () => {
  console.log(`real llama-server benchmarks: ${os.cpus().length} × ${os.cpus()[0]?.model}, node ${process.version}, ${new Date().toISOString().slice(0, 10)}`)
  const binary = await buildLlamaServer()
  const modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), "orch-bench-models-"))
  const bench = simHome("real")
  const base = portBase(SERVERS + 4)
  try {
    const models = makeModels(modelsDir)
    const cases = [
      { name: "tiny", config: configFor(binary, models.tiny, base) },
      { name: "slow", config: configFor(binary, models.slow, base + 1, ["--load-mode", "none"]) }
    ]
    for (const { name, config } of cases) bench.add(name, config)
    bench.add("victim", configFor(binary, models.tiny, base + 2))
    bench.orch("daemon", "start")
    const run = <A, E>(effect: Effect.Effect<A, E, Journal>) => Effect.runPromise(Effect.scoped(Effect.provide(effect, JournalLive(bench.journal))))
    // The configs go in once through `up`, then stopped: the rounds append requests only.
    bench.orch("up", "tiny", "slow", "victim", "--timeout", "120")
    bench.orch("down", "tiny", "slow", "victim")

    for (const { name, config } of cases) {
      const hand: Array<{ polled: number; own: number }> = []
      const orch: Array<{ total: number; own: number }> = []
      for (let round = 0; round < START_ROUNDS; round++) {
        hand.push(await byHand(config))
        await sleep(200)
        orch.push(await run(orchStart(name, path.join(bench.home, "instances", name, "logs", "stderr.log"))))
        await sleep(200)
      }
      const polled = median(hand.map((round) => round.polled))
      const total = median(orch.map((round) => round.total))
      const cost = median(orch.map((round) => round.total - round.own))
      report(`${name}: by hand, spawn → first 200 (tight loop)`, `median ${polled.toFixed(0)} ms`, "(beside ours)", undefined)
      report(`${name}: by hand, its own log's ready time`, `median ${median(hand.map((round) => round.own)).toFixed(0)} ms`, "(beside ours)", undefined)
      report(`${name}: StartRequested → healthy seen (orch)`, `median ${total.toFixed(0)} ms (ratio ${(total / polled).toFixed(2)})`, "(recorded)", undefined)
      report(`${name}: under orch, its own log's ready time`, `median ${median(orch.map((round) => round.own)).toFixed(0)} ms`, "(recorded)", undefined)
      report(`${name}: orch's cost (healthy seen − own ready)`, `median ${cost.toFixed(0)} ms`, "≤ 100 ms", cost <= 100)
    }

    const recover = await run(recovery("victim"))
    report(`kill -9 → healthy again (${recover.length} rounds)`, `p50 ${percentile(recover, 50).toFixed(0)} ms, p99 ${percentile(recover, 99).toFixed(0)} ms`, "(recorded)", undefined)
    bench.orch("down", "victim")

    const daemon = bench.daemonPid()
    const idle = { cpu: cpuMs(daemon), at: performance.now() }
    await sleep((SECONDS * 1_000) / 3)
    report("daemon CPU with no server running (baseline)", `${((100 * (cpuMs(daemon) - idle.cpu)) / (performance.now() - idle.at)).toFixed(2)} % of a core`, "(recorded)", undefined)

    for (let i = 0; i < SERVERS; i++) bench.add(`real-${i}`, configFor(binary, models.tiny, base + 4 + i))
    bench.orch("up", ...Array.from({ length: SERVERS }, (_, i) => `real-${i}`), "--timeout", "120")
    const servers = JSON.parse(bench.orch("ps", "--json")).filter((row: { pid: number | null }) => row.pid !== null).map((row: { pid: number }) => row.pid) as Array<number>
    const rss: Array<number> = []
    const serverRss: Array<number> = []
    const before = { cpu: cpuMs(daemon), at: performance.now() }
    for (let sample = 0; sample < SECONDS / 5; sample++) {
      await sleep(5_000)
      rss.push(rssMiB(daemon))
      serverRss.push(...servers.map(rssMiB))
    }
    const cpu = (100 * (cpuMs(daemon) - before.cpu)) / (performance.now() - before.at)
    report(`daemon CPU, ${servers.length} real servers probed every 1 s`, `${cpu.toFixed(2)} % of a core`, "(recorded)", undefined)
    report("daemon RSS", `median ${median(rss).toFixed(1)} MiB`, "(recorded)", undefined)
    report("one tiny llama-server's RSS", `median ${median(serverRss).toFixed(1)} MiB`, "(beside ours)", undefined)
  } finally {
    bench.remove()
    fs.rmSync(modelsDir, { recursive: true, force: true })
  }
}

void main()
