/**
 * Issue 22's scripted health check: `orch health --all` run HEALTH_POLLS times (default 100) one
 * after another, as a script polling its exit code would (0 expected: every instance healthy),
 * beside `pm2 jlist` run as many times; total wall time of each and the ratio. Five simulated
 * instances run healthy under a daemon (`orch daemon start`, then `orch up --all`); pm2 runs five
 * simulator apps, as in the ps bench. Repeated HEALTH_RUNS times (default 5): each run's figures,
 * then the median of the runs and the worst. `HEALTH_RUNS=1 HEALTH_POLLS=3 npm run bench health-poll`
 * checks it end to end.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { startDaemon, stopDaemon } from "./daemon.js"
import { withPm2 } from "./pm2.js"
import { SIM, TINY_MODEL, portBase, simHome } from "./sim-home.js"
import { median, report } from "./stats.js"

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback)
const POLLS = env("HEALTH_POLLS", 100)
const RUNS = env("HEALTH_RUNS", 5)
const INSTANCES = 5
const ORCH = path.join(process.cwd(), "dist/orch.cjs")

/** `orch health --all`'s exit code, as a script sees it; one ended by a signal (a Ctrl-C) ends the bench. */
const orchHealth = (home: string) => {
  const result = spawnSync(process.execPath, [ORCH, "health", "--all", "--home", home], { stdio: "ignore", env: { ...process.env, NO_COLOR: "1" } })
  if (result.signal !== null || result.error !== undefined) throw result.error ?? new Error(`orch health --all ended by ${result.signal}`)
  return result.status
}

/** Total wall time of `times` commands one after another. */
const total = (times: number, command: () => void) => {
  const start = performance.now()
  for (let i = 0; i < times; i++) command()
  return performance.now() - start
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

interface Figures {
  readonly orch: number
  readonly pm2: number
  /** Polls that did not exit 0. */
  readonly unhealthy: number
}

const ms = (value: number) => `${value.toFixed(0)} ms`

const main = async () => {
  console.log(`health-poll benchmark: ${RUNS} runs of ${POLLS} polls; ${os.cpus().length} × ${os.cpus()[0]?.model}, node ${process.version}, ${new Date().toISOString().slice(0, 16)}Z`)
  const bench = simHome("health-poll")
  try {
    // Any free port for the API: no clash with another daemon on the machine.
    fs.writeFileSync(path.join(bench.home, "orch.json"), `${JSON.stringify({ http: { listen: "127.0.0.1:0" } })}\n`)
    const base = portBase(2 * INSTANCES)
    for (let i = 0; i < INSTANCES; i++) bench.add(`sim-${i}`, { server: { port: base + i }, args: ["--sim-load-ms", "0"], healthcheck: { interval: "1s", timeout: "2s" } })
    // Started here rather than by `up`, so that it is stopped whatever happens (bench/daemon.ts).
    await startDaemon(bench.home)
    bench.orch("up", "--all", "--timeout", "120")
    // `up` returns once each is healthy; a poll a moment later should see the same.
    for (let waited = 0; orchHealth(bench.home) !== 0; waited += 500) {
      if (waited > 30_000) throw new Error(`orch health --all did not exit 0 within 30 s:\n${bench.orch("ps")}`)
      await sleep(500)
    }
    const runs = await withPm2((pm2) => {
      for (let i = 0; i < INSTANCES; i++) pm2.run("start", SIM, "--name", `sim-${i}`, "--", "--port", String(base + INSTANCES + i), "-m", TINY_MODEL, "--sim-load-ms", "0")
      // Warm-up of each: the first runs fill the page cache and V8's code cache.
      orchHealth(bench.home)
      pm2.run("jlist")
      const figures: Array<Figures> = []
      for (let r = 0; r < RUNS; r++) {
        let unhealthy = 0
        const orch = total(POLLS, () => void (orchHealth(bench.home) === 0 || unhealthy++))
        const pm2Jlist = total(POLLS, () => pm2.run("jlist"))
        figures.push({ orch, pm2: pm2Jlist, unhealthy })
        console.log(`  run ${r + 1}: ${POLLS} × orch health --all ${ms(orch)} (${unhealthy} not exit 0), ${POLLS} × pm2 jlist ${ms(pm2Jlist)}, ratio ${(orch / pm2Jlist).toFixed(2)}`)
      }
      return figures
    })
    const med = (figure: (run: Figures) => number) => median(runs.map(figure))
    const worst = (figure: (run: Figures) => number) => Math.max(...runs.map(figure))
    console.log(`median of ${RUNS} runs [the worst run]:`)
    report(`${POLLS} × \`orch health --all\`, 5 healthy, total`, `${ms(med((r) => r.orch))} [${ms(worst((r) => r.orch))}]`, "(recorded)", undefined)
    report(`${POLLS} × \`pm2 jlist\`, 5 apps, total`, `${ms(med((r) => r.pm2))} [${ms(worst((r) => r.pm2))}]`, "(the peer)", undefined)
    report("ratio orch health / pm2 jlist", `${med((r) => r.orch / r.pm2).toFixed(2)} [${worst((r) => r.orch / r.pm2).toFixed(2)}]`, "(recorded)", undefined)
    const unhealthy = runs.reduce((sum, r) => sum + r.unhealthy, 0)
    report("polls that did not exit 0", `${unhealthy} of ${RUNS * POLLS}`, "0", unhealthy === 0)
  } finally {
    stopDaemon(bench.home)
    fs.rmSync(bench.home, { recursive: true, force: true })
  }
}

void main()
