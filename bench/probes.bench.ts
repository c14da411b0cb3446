/**
 * Issue 5's probing figures: 100 simulated servers probed every second for 60 s (PROBE_INSTANCES,
 * PROBE_SECONDS change that). The daemon's CPU and RSS, how long a probe's answer takes to show
 * in the journal to another process, and how well the interval holds; pm2's daemon supervising
 * 5 simulators (no probes) is measured beside it in the same window.
 */
import * as os from "node:os"
import { Effect, Stream } from "effect"
import { Journal, JournalLive } from "../src/journal/Journal.js"
import { withPm2 } from "./pm2.js"
import { cpuMs, rssMiB } from "./proc-stats.js"
import { SIM, TINY_MODEL, portBase, simHome } from "./sim-home.js"
import { median, percentile, report } from "./stats.js"

const INSTANCES = Number(process.env["PROBE_INSTANCES"] ?? 100)
const SECONDS = Number(process.env["PROBE_SECONDS"] ?? 60)
const INTERVAL_MS = 1_000
const PM2_APPS = 5

interface Seen {
  readonly instance: string
  readonly at: number
  readonly seenAt: number
}

/** Everything probed in the window, as another process sees it, with both daemons' cost sampled. */
const measure = (daemon: number, pm2: number) =>
  Effect.gen(function* () {
    const journal = yield* Journal
    const seen: Array<Seen> = []
    const rss = { orch: [] as Array<number>, pm2: [] as Array<number> }
    const start = { orch: cpuMs(daemon), pm2: cpuMs(pm2), at: performance.now() }
    const follow = Stream.runForEach(journal.tail({ after: yield* journal.lastSeq }), (envelope) =>
      Effect.sync(() => {
        if (envelope.event._tag === "HealthProbed" && envelope.instance !== null) seen.push({ instance: envelope.instance, at: envelope.at, seenAt: Date.now() })
      })
    )
    const sampling = Effect.forever(
      Effect.sync(() => {
        rss.orch.push(rssMiB(daemon))
        rss.pm2.push(rssMiB(pm2))
      }).pipe(Effect.zipRight(Effect.sleep(5_000)))
    )
    yield* Effect.raceAll([follow, sampling, Effect.sleep(SECONDS * 1_000)])
    const wall = performance.now() - start.at
    return { seen, rss, cpu: { orch: (100 * (cpuMs(daemon) - start.orch)) / wall, pm2: (100 * (cpuMs(pm2) - start.pm2)) / wall } }
  })

const main = async () => {
  console.log(`probe benchmark: ${INSTANCES} instances every ${INTERVAL_MS} ms for ${SECONDS} s; ${os.cpus().length} × ${os.cpus()[0]?.model}, node ${process.version}, ${new Date().toISOString().slice(0, 10)}`)
  const bench = simHome("probes")
  const base = portBase(INSTANCES + PM2_APPS)
  try {
    for (let i = 0; i < INSTANCES; i++) {
      bench.add(`sim-${String(i).padStart(3, "0")}`, { server: { port: base + i }, args: ["--sim-load-ms", "0"], healthcheck: { interval: "1s", timeout: "2s" } })
    }
    bench.orch("up", "--all", "--timeout", "180")
    const { seen, rss, cpu } = await withPm2((pm2) => {
      for (let i = 0; i < PM2_APPS; i++) {
        pm2.run("start", SIM, "--name", `sim-${i}`, "--", "--port", String(base + INSTANCES + i), "-m", TINY_MODEL, "--sim-load-ms", "0")
      }
      return Effect.runPromise(Effect.scoped(Effect.provide(measure(bench.daemonPid(), pm2.daemonPid()), JournalLive(bench.journal))))
    })
    const latencies = seen.map((probe) => probe.seenAt - probe.at)
    const byInstance = new Map<string, Array<number>>()
    for (const probe of seen) byInstance.set(probe.instance, [...(byInstance.get(probe.instance) ?? []), probe.at])
    const gaps = [...byInstance.values()].flatMap((ats) => ats.slice(1).map((at, i) => at - ats[i]!))
    const stretched = gaps.filter((gap) => gap > INTERVAL_MS * 1.1).length
    report("probes seen in the window", `${seen.length} (${(seen.length / SECONDS).toFixed(1)}/s)`, `≈ ${INSTANCES}/s`, undefined)
    report("orch daemon CPU", `${cpu.orch.toFixed(2)} % of a core`, "≤ 5 %", cpu.orch <= 5)
    report("orch daemon RSS", `median ${median(rss.orch).toFixed(1)} MiB, max ${Math.max(...rss.orch).toFixed(1)}`, "≤ 120 MB", Math.max(...rss.orch) * 1.048576 <= 120)
    report(`pm2 daemon CPU (${PM2_APPS} apps, no probes)`, `${cpu.pm2.toFixed(2)} % of a core`, "(beside ours)", undefined)
    report(`pm2 daemon RSS (${PM2_APPS} apps, no probes)`, `median ${median(rss.pm2).toFixed(1)} MiB, max ${Math.max(...rss.pm2).toFixed(1)}`, "(beside ours)", undefined)
    report(`RSS ratio orch (${INSTANCES} probed) / pm2 (${PM2_APPS} unprobed)`, (median(rss.orch) / median(rss.pm2)).toFixed(2), "(recorded)", undefined)
    report("probe answered → event seen by another process", `p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms`, "(recorded)", undefined)
    report("interval between probes of one server", `p50 ${percentile(gaps, 50)} ms, p99 ${percentile(gaps, 99)} ms, max ${Math.max(...gaps)} ms`, "(recorded)", undefined)
    report("intervals stretched > 10 %", `${stretched} of ${gaps.length}`, "0", stretched === 0)
  } finally {
    bench.remove()
  }
}

void main()
