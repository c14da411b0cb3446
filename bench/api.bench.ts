/**
 * Issue 17's figures for the daemon's HTTP API, one daemon on a home of 100 configured instances
 * (each applied in the journal; API_RUNNING of them started as simulators, none by default):
 *
 * 1. SSE latency: an event appended by another process (this one, through the Journal) → parsed
 *    by an SSE client of /events/stream, API_EVENTS events ~20 ms apart per run.
 * 2. API_CLIENTS idle SSE clients (each from after = the newest seq): the daemon's RSS and CPU
 *    over API_IDLE_SECONDS without them, then with them (measured before the load, which grows
 *    the daemon's heap).
 * 3. GET /api/v1/instances one at a time, then under an open-loop load of API_RATE requests/s for
 *    API_LOAD_SECONDS (undici, keep-alive): latency from each request's scheduled time, and the
 *    daemon's CPU beyond its idle CPU.
 *
 * Each is run API_RUNS times (default 5): the median of the runs and the worst are printed.
 * API_PHASES=sse,clients,load picks some; idle figures wait until the daemon is API_SETTLE_SECONDS old.
 */
import { spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Context, Effect, Exit, Layer, Scope } from "effect"
import type { NewEvent } from "../src/domain/events.js"
import { Journal, JournalLive } from "../src/journal/Journal.js"
import { type Api, type Message, type SseClient, getJson, openLoop, sseClient } from "./api-client.js"
import { cpuMs, rssMiB } from "./proc-stats.js"
import { portBase, simHome } from "./sim-home.js"
import { median, percentile, report } from "./stats.js"

type JournalService = Context.Tag.Service<typeof Journal>

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback)
const RUNS = env("API_RUNS", 5)
const INSTANCES = env("API_INSTANCES", 100)
const RUNNING = env("API_RUNNING", 0)
const EVENTS = env("API_EVENTS", 200)
const EVENT_GAP_MS = 20
const RATE = env("API_RATE", 200)
const LOAD_SECONDS = env("API_LOAD_SECONDS", 10)
const CLIENTS = env("API_CLIENTS", 100)
const IDLE_SECONDS = env("API_IDLE_SECONDS", 20)
/** Which figures to measure: any of sse, clients, load (all by default). */
/** Node flags to start the daemon with (it is then started by `daemon run`, not `daemon start`): `--cpu-prof --cpu-prof-dir=DIR` to profile it. */
const DAEMON_FLAGS = (process.env["API_DAEMON_FLAGS"] ?? "").split(" ").filter((flag) => flag !== "")
const PHASES = new Set((process.env["API_PHASES"] ?? "sse,clients,load").split(","))
/** The daemon looks for orphans 1–37 s after it starts (bench/RESULTS.md): idle figures wait past that. */
const SETTLED_AFTER_MS = env("API_SETTLE_SECONDS", 45) * 1_000
const ORCH = path.join(process.cwd(), "dist/orch.cjs")

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const name = (i: number) => `api-${String(i).padStart(3, "0")}`
const ms = (value: number) => `${value < 10 ? value.toFixed(1) : value.toFixed(0)} ms`

/** CPU % of one core and RSS samples (MiB, once a second) of `pid` over `seconds`. */
const sample = async (pid: number, seconds: number) => {
  const rss: Array<number> = []
  const start = { cpu: cpuMs(pid), at: performance.now() }
  for (let s = 0; s < seconds; s++) {
    await sleep(1_000)
    rss.push(rssMiB(pid))
  }
  return { cpu: (100 * (cpuMs(pid) - start.cpu)) / (performance.now() - start.at), rss: median(rss), rssMax: Math.max(...rss) }
}

/** The API's address once the daemon says it listens (`orch api --json`). */
const apiOf = async (orch: (...args: Array<string>) => string): Promise<Api> => {
  for (let tries = 0; ; tries++) {
    try {
      const shown = JSON.parse(orch("api", "--json")) as { url: string | null; token: string | null }
      if (shown.url !== null && shown.token !== null) return { url: shown.url, token: shown.token }
    } catch (error) {
      if (tries > 100) throw error
    }
    await sleep(100)
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** 1: each event's latency from just before its append to its parse by an SSE client. */
const sseLatency = async (api: Api, journal: JournalService, instance: string) => {
  const seen = new Map<number, Message>()
  const client = await sseClient(api, await Effect.runPromise(journal.lastSeq), (message) => {
    if (message.id !== undefined) seen.set(message.id, message)
  })
  const sent = new Map<number, number>()
  try {
    for (let i = 0; i < EVENTS; i++) {
      const event: NewEvent = { instance, event: { _tag: "LogRotated", stream: "stderr", size: i } }
      const before = performance.now()
      const [seq] = await Effect.runPromise(journal.append([event]))
      sent.set(seq!, before)
      await sleep(EVENT_GAP_MS)
    }
    for (let waited = 0; waited < 3_000 && [...sent.keys()].some((seq) => !seen.has(seq)); waited += 50) await sleep(50)
  } finally {
    client.close()
  }
  const latencies = [...sent].flatMap(([seq, before]) => {
    const message = seen.get(seq)
    return message === undefined ? [] : [message.seenAt - before]
  })
  return { latencies, lost: sent.size - latencies.length }
}

/** 3: the daemon without clients, then with CLIENTS idle SSE clients. */
const idleClients = async (api: Api, journal: JournalService, pid: number) => {
  const without = await sample(pid, IDLE_SECONDS)
  const clients: Array<SseClient> = []
  let messages = 0
  try {
    const after = await Effect.runPromise(journal.lastSeq)
    for (let i = 0; i < CLIENTS; i++) clients.push(await sseClient(api, after, () => void messages++))
    await sleep(2_000)
    const withClients = await sample(pid, IDLE_SECONDS)
    return { without, withClients, messages }
  } finally {
    for (const client of clients) client.close()
    await sleep(3_000)
  }
}

const main = async () => {
  console.log(
    `api benchmark: ${INSTANCES} instances (${RUNNING} running), ${RUNS} runs; ${os.cpus().length} × ${os.cpus()[0]?.model}, node ${process.version}, ${new Date().toISOString().slice(0, 16)}Z`
  )
  const bench = simHome("api")
  let daemonPid: number | undefined
  let scope: Scope.CloseableScope | undefined
  const cleanUp = () => {
    spawnSync(process.execPath, [ORCH, "daemon", "stop", "--all", "--home", bench.home], { stdio: "ignore", timeout: 60_000 })
    if (daemonPid !== undefined && alive(daemonPid)) process.kill(daemonPid, "SIGKILL")
    fs.rmSync(bench.home, { recursive: true, force: true })
  }
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      cleanUp()
      process.exit(130)
    })
  }
  try {
    fs.writeFileSync(path.join(bench.home, "orch.json"), `${JSON.stringify({ http: { listen: "127.0.0.1:0" } })}\n`)
    const base = portBase(INSTANCES)
    for (let i = 0; i < INSTANCES; i++) {
      bench.add(name(i), { server: { port: base + i }, args: ["--sim-load-ms", "0"], healthcheck: { interval: "1s", timeout: "2s" } })
    }
    scope = Effect.runSync(Scope.make())
    const journal = Context.get(await Effect.runPromise(Layer.buildWithScope(JournalLive(bench.journal), scope)), Journal)
    const configs: Array<NewEvent> = Array.from({ length: INSTANCES }, (_, i) => ({
      instance: name(i),
      event: { _tag: "ConfigApplied", config: JSON.parse(fs.readFileSync(path.join(bench.home, "instances", name(i), "config.json"), "utf8")), hash: `bench-${i}` }
    }))
    await Effect.runPromise(journal.append(configs))
    if (RUNNING > 0) bench.orch("up", ...Array.from({ length: RUNNING }, (_, i) => name(i)), "--timeout", "120")
    else if (DAEMON_FLAGS.length === 0) bench.orch("daemon", "start")
    else {
      // Started by hand, to pass node flags (--cpu-prof is refused in NODE_OPTIONS), with the tuning `daemon start` gives it.
      const env = { ...process.env, MALLOC_MMAP_THRESHOLD_: "32768", NODE_OPTIONS: "--max-semi-space-size=4", LLAMA_ORCH_DAEMON_ONLY: "MALLOC_MMAP_THRESHOLD_,NODE_OPTIONS" }
      spawn(process.execPath, [...DAEMON_FLAGS, ORCH, "daemon", "run", "--home", bench.home], { detached: true, stdio: "ignore", env }).unref()
      for (;;) {
        const pid = fs.existsSync(path.join(bench.home, "journal", "daemon.pid")) ? bench.daemonPid() : 0
        if (Number.isInteger(pid) && pid > 0) break
        await sleep(50)
      }
    }
    const startedAt = performance.now()
    daemonPid = bench.daemonPid()
    const api = await apiOf(bench.orch)
    const listed = (await getJson(api, "/instances")) as Array<unknown>
    console.log(`daemon pid ${daemonPid}, API ${api.url}, /instances lists ${listed.length}`)

    // Warm-up: the handlers' first calls compile.
    await openLoop(api, "/instances", RATE, 1)
    const quiet = name(INSTANCES - 1)
    await sseLatency(api, journal, quiet).catch(() => undefined)
    const worst = <T>(rows: ReadonlyArray<T>, figure: (row: T) => number) => Math.max(...rows.map(figure))
    const med = <T>(rows: ReadonlyArray<T>, figure: (row: T) => number) => median(rows.map(figure))
    const results: Array<() => void> = []

    if (PHASES.has("sse")) {
      const sse: Array<{ p50: number; p99: number; max: number; lost: number }> = []
      for (let run = 0; run < RUNS; run++) {
        const { latencies, lost } = await sseLatency(api, journal, quiet)
        sse.push({ p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: Math.max(...latencies), lost })
        console.log(`  sse run ${run + 1}: ${latencies.length} events, p50 ${ms(sse.at(-1)!.p50)}, p99 ${ms(sse.at(-1)!.p99)}, max ${ms(sse.at(-1)!.max)}, lost ${lost}`)
      }
      results.push(() => {
        report("SSE: appended by another process → parsed by a client, p50", `${ms(med(sse, (r) => r.p50))} [${ms(worst(sse, (r) => r.p50))}]`, "(recorded)", undefined)
        const p99 = med(sse, (r) => r.p99)
        report(`SSE: the same, p99 (${EVENTS} events a run, ${EVENT_GAP_MS} ms apart)`, `${ms(p99)} [${ms(worst(sse, (r) => r.p99))}]`, "≤ 150 ms", p99 <= 150)
        report("SSE: the same, largest", `${ms(med(sse, (r) => r.max))} [${ms(worst(sse, (r) => r.max))}]`, "(recorded)", undefined)
        report("SSE: events not received", `${sse.reduce((sum, r) => sum + r.lost, 0)}`, "0", sse.every((r) => r.lost === 0))
      })
    }

    await sleep(Math.max(0, SETTLED_AFTER_MS - (performance.now() - startedAt)))
    const idle = await sample(daemonPid, IDLE_SECONDS)
    console.log(`  idle: CPU ${idle.cpu.toFixed(2)} %, RSS ${idle.rss.toFixed(1)} MiB`)
    results.push(() => report("daemon idle (no client): CPU, RSS", `${idle.cpu.toFixed(2)} %, ${idle.rss.toFixed(1)} MiB`, "(recorded)", undefined))

    if (PHASES.has("clients")) {
      const idles: Array<{ rssAdded: number; cpuAdded: number; without: { cpu: number; rss: number }; withClients: { cpu: number; rss: number; rssMax: number } }> = []
      for (let run = 0; run < RUNS; run++) {
        const { without, withClients, messages } = await idleClients(api, journal, daemonPid)
        idles.push({ rssAdded: withClients.rss - without.rss, cpuAdded: withClients.cpu - without.cpu, without, withClients })
        console.log(
          `  clients run ${run + 1}: without: CPU ${without.cpu.toFixed(2)} %, RSS ${without.rss.toFixed(1)} MiB; with ${CLIENTS}: CPU ${withClients.cpu.toFixed(2)} %, RSS ${withClients.rss.toFixed(1)} MiB (max ${withClients.rssMax.toFixed(1)}); ${messages} events received`
        )
      }
      results.push(() => {
        // Memory the first clients took is mostly kept once they go: later runs start from it, so the
        // first run (the worst) is the one the goal is judged on.
        const rssWorst = worst(idles, (r) => r.rssAdded)
        report(`${CLIENTS} idle SSE clients: daemon RSS added (median, [first/worst])`, `${med(idles, (r) => r.rssAdded).toFixed(1)} MiB [${rssWorst.toFixed(1)}]`, "≤ 10 MB (9.5 MiB)", rssWorst * 1.048576 <= 10)
        const cpu = med(idles, (r) => r.cpuAdded)
        report(`${CLIENTS} idle SSE clients: daemon CPU added`, `${cpu.toFixed(2)} % [${worst(idles, (r) => r.cpuAdded).toFixed(2)}]`, "≤ 1 % of a core", cpu <= 1)
        report(`daemon without clients / with ${CLIENTS}: CPU`, `${med(idles, (r) => r.without.cpu).toFixed(2)} / ${med(idles, (r) => r.withClients.cpu).toFixed(2)} %`, "(recorded)", undefined)
        report(`daemon without clients / with ${CLIENTS}: RSS`, `${med(idles, (r) => r.without.rss).toFixed(1)} / ${med(idles, (r) => r.withClients.rss).toFixed(1)} MiB`, "(recorded)", undefined)
      })
    }

    if (PHASES.has("load")) {
      // One at a time first: what a request costs with nothing queued before it.
      const alone: Array<{ p50: number; p99: number }> = []
      for (let run = 0; run < RUNS; run++) {
        const latencies: Array<number> = []
        for (let i = 0; i < 200; i++) {
          const before = performance.now()
          await getJson(api, "/instances")
          latencies.push(performance.now() - before)
        }
        alone.push({ p50: percentile(latencies, 50), p99: percentile(latencies, 99) })
      }
      console.log(`  one at a time: ${alone.map((r) => `p50 ${ms(r.p50)} p99 ${ms(r.p99)}`).join("; ")}`)
      const loads: Array<{ p50: number; p99: number; max: number; cpu: number; extra: number; failures: number; late: number; rate: number }> = []
      for (let run = 0; run < RUNS; run++) {
        const cpuBefore = cpuMs(daemonPid)
        const load = await openLoop(api, "/instances", RATE, LOAD_SECONDS)
        const cpu = (100 * (cpuMs(daemonPid) - cpuBefore)) / load.wallMs
        const figures = {
          p50: percentile(load.latencies, 50),
          p99: percentile(load.latencies, 99),
          max: Math.max(...load.latencies),
          cpu,
          extra: cpu - idle.cpu,
          failures: load.failures,
          late: percentile(load.lateness, 99),
          rate: load.latencies.length / (load.wallMs / 1_000)
        }
        loads.push(figures)
        console.log(
          `  load run ${run + 1}: ${load.latencies.length} answered (${figures.rate.toFixed(0)}/s), ${figures.failures} failed, p50 ${ms(figures.p50)}, p99 ${ms(figures.p99)}, max ${ms(figures.max)}, daemon CPU ${cpu.toFixed(1)} % (+${figures.extra.toFixed(1)}), send lag p99 ${ms(figures.late)}`
        )
        await sleep(2_000)
      }
      results.push(() => {
        report(`GET /instances (${INSTANCES}) one at a time, p50`, `${ms(med(alone, (r) => r.p50))} [${ms(worst(alone, (r) => r.p50))}]`, "(recorded)", undefined)
        report(`GET /instances one at a time, p99`, `${ms(med(alone, (r) => r.p99))} [${ms(worst(alone, (r) => r.p99))}]`, "(recorded)", undefined)
        report(`GET /instances, ${RATE}/s open loop ${LOAD_SECONDS} s, p50`, `${ms(med(loads, (r) => r.p50))} [${ms(worst(loads, (r) => r.p50))}]`, "(recorded)", undefined)
        const p99 = med(loads, (r) => r.p99)
        report(`GET /instances, ${RATE}/s, p99`, `${ms(p99)} [${ms(worst(loads, (r) => r.p99))}]`, "≤ 10 ms", p99 <= 10)
        report(`GET /instances, ${RATE}/s, largest`, `${ms(med(loads, (r) => r.max))} [${ms(worst(loads, (r) => r.max))}]`, "(recorded)", undefined)
        report(`GET /instances, ${RATE}/s, answered a second`, `${med(loads, (r) => r.rate).toFixed(0)} [${Math.min(...loads.map((r) => r.rate)).toFixed(0)}]`, `${RATE}`, med(loads, (r) => r.rate) >= RATE * 0.98)
        report(`GET /instances, ${RATE}/s, failed requests`, `${loads.reduce((sum, r) => sum + r.failures, 0)}`, "0", loads.every((r) => r.failures === 0))
        report(`daemon CPU under the load, beyond idle`, `${med(loads, (r) => r.extra).toFixed(1)} % [${worst(loads, (r) => r.extra).toFixed(1)}]`, "(recorded)", undefined)
      })
    }

    console.log(`\nmedian of ${RUNS} runs (worst run in brackets)`)
    for (const print of results) print()
  } finally {
    if (scope !== undefined) await Effect.runPromise(Scope.close(scope, Exit.void))
    cleanUp()
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
