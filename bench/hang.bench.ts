/**
 * Issue 5's hang detection: simulated servers that stop answering HANG_AFTER_MS after each
 * start, restarted again and again, until HANG_TRIALS hangs were caught. Each detection time
 * runs from the moment the simulator hung (its own log line) to the daemon's RestartScheduled,
 * against the configured bound interval × retries + timeout.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { portBase, simHome } from "./sim-home.js"
import { median, percentile, report } from "./stats.js"

const TRIALS = Number(process.env["HANG_TRIALS"] ?? 20)
const INSTANCES = 5
const HANG_AFTER_MS = 2_000
const healthcheck = { interval: 1_000, timeout: 1_000, retries: 2 }
const BOUND_MS = healthcheck.interval * healthcheck.retries + healthcheck.timeout

interface Line {
  readonly instance: string
  readonly type: string
  readonly at: number
  readonly data: { readonly reason?: string }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const main = async () => {
  console.log(`hang detection: ${TRIALS} trials on ${INSTANCES} servers; ${os.cpus().length} × ${os.cpus()[0]?.model}, node ${process.version}, ${new Date().toISOString().slice(0, 10)}`)
  const bench = simHome("hang")
  const base = portBase(INSTANCES)
  const names = Array.from({ length: INSTANCES }, (_, i) => `hang-${i}`)
  try {
    names.forEach((name, i) =>
      bench.add(name, {
        server: { port: base + i },
        args: ["--sim-load-ms", "0", "--sim-hang-after-ms", String(HANG_AFTER_MS)],
        healthcheck: { interval: "1s", timeout: "1s", retries: healthcheck.retries },
        restart_policy: { initial_delay: "200ms", backoff_multiplier: 1, max_retries: 1_000 },
        stop_timeout: "2s"
      })
    )
    bench.orch("up", "--all")
    const restarts = () =>
      bench.orch("events", "--type", "RestartScheduled", "--json").trim().split("\n").filter((line) => line !== "").map((line) => JSON.parse(line) as Line)
    const deadline = Date.now() + TRIALS * 10_000
    while (restarts().length < TRIALS + INSTANCES && Date.now() < deadline) await sleep(1_000)
    const detections: Array<number> = []
    for (const name of names) {
      const hungAt = fs.readFileSync(path.join(bench.home, "instances", name, "logs", "stderr.log"), "utf8")
        .split("\n").flatMap((line) => /hanging as asked .* at (\d+)/.exec(line)?.[1] ?? []).map(Number)
      const scheduled = restarts().filter((line) => line.instance === name)
      // Pairs in order; the last hang may not be caught yet when the run ends.
      scheduled.forEach((line, i) => hungAt[i] !== undefined && detections.push(line.at - hungAt[i]!))
    }
    const within = detections.filter((ms) => ms <= BOUND_MS).length
    report("trials", String(detections.length), `≥ ${TRIALS}`, detections.length >= TRIALS)
    report("hang → RestartScheduled", `p50 ${median(detections)} ms, p95 ${percentile(detections, 95)} ms, max ${Math.max(...detections)} ms`, `≤ ${BOUND_MS} ms`, Math.max(...detections) <= BOUND_MS)
    report("detections within interval × retries + timeout", `${within} of ${detections.length}`, "all", within === detections.length)
  } finally {
    bench.remove()
  }
}

void main()
