/**
 * Issue 18's figures for the web console, in Debian's Chromium (playwright-core), against one
 * daemon on a home of CONSOLE_INSTANCES configured instances (applied in the journal, none running):
 *
 * 1. First load: from a fresh browser context (no cache, no cookie) asking for the `orch ui` URL
 *    to the instances table's first row on screen; and what the page loaded (HTML + bundle).
 * 2. An event appended by another process (this one, through the Journal) → its row in the events
 *    page, as the page's own MutationObserver sees it appear: CONSOLE_EVENTS events ~50 ms apart.
 *
 * Each CONSOLE_RUNS times (default 5): the median of the runs, the worst in brackets.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Context, Effect, Exit, Layer, Scope } from "effect"
import { chromium } from "playwright-core"
import type { NewEvent } from "../src/domain/events.js"
import { Journal, JournalLive } from "../src/journal/Journal.js"
import { portBase, simHome } from "./sim-home.js"
import { median, percentile, report } from "./stats.js"

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback)
const RUNS = env("CONSOLE_RUNS", 5)
const INSTANCES = env("CONSOLE_INSTANCES", 20)
const EVENTS = env("CONSOLE_EVENTS", 60)
const EVENT_GAP_MS = 50
const ORCH = path.join(process.cwd(), "dist/orch.cjs")

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const ms = (value: number) => `${value < 10 ? value.toFixed(1) : value.toFixed(0)} ms`
const name = (i: number) => `web-${String(i).padStart(2, "0")}`
/** A time both this process and the browser read alike: ms since the epoch, to the microsecond. */
const wallNow = () => performance.timeOrigin + performance.now()

/** Records when each event row first appears in the page (the same clock as wallNow). */
const OBSERVE = `(() => {
  window.__seen = {}
  const look = () => { for (const row of document.querySelectorAll("tr[data-seq]")) { const seq = row.getAttribute("data-seq"); if (!(seq in window.__seen)) window.__seen[seq] = performance.timeOrigin + performance.now() } }
  look()
  new MutationObserver(look).observe(document.body, { childList: true, subtree: true })
})()`

const main = async () => {
  console.log(`console benchmark: ${INSTANCES} instances, ${RUNS} runs, ${EVENTS} events a run; ${os.cpus().length} × ${os.cpus()[0]?.model}, node ${process.version}, ${new Date().toISOString().slice(0, 16)}Z`)
  const bench = simHome("console")
  let scope: Scope.CloseableScope | undefined
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
  })
  try {
    fs.writeFileSync(path.join(bench.home, "orch.json"), `${JSON.stringify({ http: { listen: "127.0.0.1:0" } })}\n`)
    const base = portBase(INSTANCES)
    for (let i = 0; i < INSTANCES; i++) bench.add(name(i), { server: { port: base + i } })
    scope = Effect.runSync(Scope.make())
    const journal = Context.get(await Effect.runPromise(Layer.buildWithScope(JournalLive(bench.journal), scope)), Journal)
    await Effect.runPromise(
      journal.append(
        Array.from({ length: INSTANCES }, (_, i): NewEvent => ({
          instance: name(i),
          event: { _tag: "ConfigApplied", config: JSON.parse(fs.readFileSync(path.join(bench.home, "instances", name(i), "config.json"), "utf8")), hash: `bench-${i}` }
        }))
      )
    )
    bench.orch("daemon", "start")
    let ui: { url: string } | undefined
    for (let tries = 0; ui === undefined && tries < 100; tries++) {
      const run = spawnSync(process.execPath, [ORCH, "ui", "--json", "--home", bench.home], { encoding: "utf8" })
      if (run.status === 0) ui = JSON.parse(run.stdout) as { url: string }
      else await sleep(100)
    }
    if (ui === undefined) throw new Error("the daemon serves no console")
    console.log(`daemon pid ${bench.daemonPid()}, console ${new URL(ui.url).origin}/`)

    const loads: Array<{ ms: number; bytes: number }> = []
    for (let run = 0; run < RUNS + 1; run++) {
      const context = await browser.newContext()
      const page = await context.newPage()
      let bytes = 0
      page.on("response", (response) => {
        const pathname = new URL(response.url()).pathname
        if (pathname === "/" || pathname.startsWith("/assets/"))
          void response.body().then(
            (body) => {
              bytes += body.length
            },
            () => undefined
          )
      })
      const start = performance.now()
      await page.goto(ui.url)
      await page.locator("tr[data-instance]").first().waitFor()
      const took = performance.now() - start
      await sleep(200)
      await context.close()
      // The first load of all warms the daemon's file cache and the browser's own start: not counted.
      if (run > 0) {
        loads.push({ ms: took, bytes })
        console.log(`  load run ${run}: ${ms(took)}, ${(bytes / 1024).toFixed(0)} KB of HTML, script and style`)
      }
    }

    const latencies: Array<{ p50: number; p99: number; max: number; lost: number }> = []
    const context = await browser.newContext()
    const page = await context.newPage()
    await page.goto(ui.url)
    await page.getByRole("link", { name: "Events" }).click()
    await page.locator("tr[data-seq]").first().waitFor()
    await page.evaluate(OBSERVE)
    for (let run = 0; run < RUNS; run++) {
      const sent = new Map<number, number>()
      for (let i = 0; i < EVENTS; i++) {
        const before = wallNow()
        const [seq] = await Effect.runPromise(journal.append([{ instance: name(INSTANCES - 1), event: { _tag: "LogRotated", stream: "stderr", size: i } }]))
        sent.set(seq!, before)
        await sleep(EVENT_GAP_MS)
      }
      let seen: Record<string, number> = {}
      for (let waited = 0; waited < 3_000; waited += 100) {
        seen = (await page.evaluate("window.__seen")) as Record<string, number>
        if ([...sent.keys()].every((seq) => seen[seq] !== undefined)) break
        await sleep(100)
      }
      const taken = [...sent].flatMap(([seq, before]) => (seen[seq] === undefined ? [] : [seen[seq]! - before]))
      latencies.push({ p50: percentile(taken, 50), p99: percentile(taken, 99), max: Math.max(...taken), lost: sent.size - taken.length })
      console.log(`  event run ${run + 1}: ${taken.length} rows, p50 ${ms(latencies.at(-1)!.p50)}, p99 ${ms(latencies.at(-1)!.p99)}, max ${ms(latencies.at(-1)!.max)}`)
    }
    await context.close()

    const worst = <T>(rows: ReadonlyArray<T>, figure: (row: T) => number) => Math.max(...rows.map(figure))
    const med = <T>(rows: ReadonlyArray<T>, figure: (row: T) => number) => median(rows.map(figure))
    console.log(`\nmedian of ${RUNS} runs (worst run in brackets)`)
    report("first load: token URL → instances on screen", `${ms(med(loads, (r) => r.ms))} [${ms(worst(loads, (r) => r.ms))}]`, "(recorded)", undefined)
    report("first load: HTML + script + style, as sent", `${(med(loads, (r) => r.bytes) / 1024).toFixed(0)} KB`, "(recorded)", undefined)
    const p99 = med(latencies, (r) => r.p99)
    report("event appended by another process → its row in the page, p50", `${ms(med(latencies, (r) => r.p50))} [${ms(worst(latencies, (r) => r.p50))}]`, "(recorded)", undefined)
    report(`the same, p99 (${EVENTS} events a run, ${EVENT_GAP_MS} ms apart)`, `${ms(p99)} [${ms(worst(latencies, (r) => r.p99))}]`, "≤ 300 ms", p99 <= 300)
    report("the same, rows that never appeared", `${latencies.reduce((sum, r) => sum + r.lost, 0)}`, "0", latencies.every((r) => r.lost === 0))
  } finally {
    await browser.close()
    if (scope !== undefined) await Effect.runPromise(Scope.close(scope, Exit.void))
    bench.remove()
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
