import * as fs from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import type { Browser } from "playwright-core"
import { fetch } from "undici"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { NewEvent } from "../../src/domain/events.js"
import { Journal } from "../../src/journal/Journal.js"
import { addSim, servers, simHome, types } from "../support/daemon.js"
import { launchBrowser, openPage, seriousViolations, shoot } from "../support/browser.js"
import { withJournal } from "../support/journal.js"
import { freePorts } from "../support/net.js"
import { orch } from "../support/orch.js"
import { SIM, waitFor } from "../support/sim.js"
import { apiOf } from "../support/sse.js"

/**
 * The web console in Debian's Chromium (playwright-core) against a real daemon supervising
 * simulated servers: every page is the daemon's own file, every call the public API (checked by
 * openPage when each test ends, with the page's console errors).
 */

let browser: Browser
beforeAll(async () => {
  browser = await launchBrowser()
}, 30_000)
afterAll(async () => {
  await browser?.close()
})

const ok = (args: ReadonlyArray<string>) => {
  const run = orch(args)
  expect(run.code, `orch ${args.join(" ")}: ${run.stdout}${run.stderr}`).toBe(0)
  return run
}

/** A daemon supervising a and b (b restarts after 3 s, long enough to see its countdown). */
const twoServers = async () => {
  const home = simHome()
  const [a, b] = await freePorts(2)
  addSim(home, "a", a!)
  addSim(home, "b", b!, [], { restart_policy: { initial_delay: "3s" } })
  ok(["up", "a", "b", "--home", home])
  const api = await apiOf(home)
  return { home, api, ui: JSON.parse(ok(["ui", "--home", home, "--json"]).stdout) as { url: string; console: string } }
}

const expectAccessible = async (page: Parameters<typeof seriousViolations>[0]) => expect(await seriousViolations(page)).toEqual([])

describe("orch ui", { timeout: 60_000 }, () => {
  it("prints the console's URL with the token, which lets a browser in: the token leaves the address for a cookie", async () => {
    const { api, ui } = await twoServers()
    expect(ui.url).toBe(`${new URL(api.url).origin}/?token=${api.token}`)
    const text = ok(["ui", "--home", (await twoServers()).home]).stdout
    expect(text).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+ /)
    const { page, context, finish } = await openPage(browser, api)
    await page.goto(ui.url)
    expect(page.url()).toBe(`${new URL(api.url).origin}/`)
    const cookie = (await context.cookies()).find((kept) => kept.name === "orch_token")
    expect(cookie).toMatchObject({ value: api.token, httpOnly: true, sameSite: "Strict" })
    await page.getByRole("row", { name: /^a\b/ }).waitFor()
    await finish()
  })

  it("with no daemon: exits 1 and says how to start one", () => {
    const run = orch(["ui", "--home", simHome()])
    expect(run.code).toBe(1)
    expect(run.stdout + run.stderr).toMatch(/no daemon runs for this home.*orch daemon start/)
  })

  it("--open runs $BROWSER with the URL; a browser that cannot start: exit 1, and the URL to open by hand", async () => {
    const { home, ui } = await twoServers()
    const opened = path.join(home, "opened.txt")
    const browserScript = path.join(home, "browser.sh")
    fs.writeFileSync(browserScript, `#!/bin/sh\nprintf '%s' "$1" > '${opened}'\n`, { mode: 0o755 })
    const run = orch(["ui", "--home", home, "--open"], { env: { BROWSER: browserScript } })
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toContain(ui.url)
    expect(await waitFor(async () => (fs.existsSync(opened) ? fs.readFileSync(opened, "utf8") : undefined))).toBe(ui.url)
    const missing = orch(["ui", "--home", home, "--open"], { env: { BROWSER: path.join(home, "no-such-browser") } })
    expect(missing.code).toBe(1)
    expect(missing.stdout).toContain(ui.url)
    expect(missing.stdout + missing.stderr).toMatch(/could not open a browser.*open the URL above by hand/)
  })
})

// Each test starts a daemon and two servers and drives a browser: slower than most while the rest of the suite runs beside it.
describe("the console", { timeout: 60_000 }, () => {
  it("without the token: says how to get one", async () => {
    const { api } = await twoServers()
    // The browser logs the API's 401s itself: those, and only those, are expected here.
    const { page, finish } = await openPage(browser, api, { expectedErrors: /status of 401 \(Unauthorized\)/ })
    await page.goto(`${new URL(api.url).origin}/`)
    await page.getByText("This console needs the daemon's token").waitFor()
    expect(await page.getByRole("alert").innerText()).toContain("orch ui")
    await shoot(page, "no-token")
    await expectAccessible(page)
    await finish()
  })

  it("lists the instances, and shows a restart live, without a reload", async () => {
    const { home, api, ui } = await twoServers()
    const watched = await openPage(browser, api)
    const { page } = watched
    await page.goto(ui.url)
    const row = page.locator('tr[data-instance="a"]')
    await row.and(page.locator('[data-status="running"]')).waitFor()
    const pidBefore = await row.locator("td").first().innerText()
    expect(Number(pidBefore)).toBe(servers(home).find((server) => server.instance === "a")!.pid)
    await shoot(page, "instances")
    await expectAccessible(page)
    const navigations = watched.navigations()
    await page.getByRole("button", { name: "restart a" }).click()
    await expect
      .poll(async () => {
        const pid = await row.locator("td").first().innerText()
        return pid !== pidBefore && pid !== "–" && (await row.getAttribute("data-status")) === "running"
      }, { timeout: 15_000 })
      .toBe(true)
    expect(watched.navigations()).toBe(navigations)
    const pidAfter = Number(await row.locator("td").first().innerText())
    expect(pidAfter).toBe(servers(home).find((server) => server.instance === "a")!.pid)
    await watched.finish()
  })

  it("after the daemon restarts, picks up where it was: no reload, and what happened while it was away shows", async () => {
    const home = simHome()
    const [a, listen] = await freePorts(2)
    addSim(home, "a", a!)
    // A port of its own, kept across the restart: the page's event stream reconnects to the same address.
    fs.writeFileSync(path.join(home, "orch.json"), JSON.stringify({ http: { listen: `127.0.0.1:${listen}` } }))
    ok(["up", "a", "--home", home])
    const api = await apiOf(home)
    const ui = JSON.parse(ok(["ui", "--home", home, "--json"]).stdout) as { url: string }
    const watched = await openPage(browser, api, { expectedErrors: /ERR_(CONNECTION_REFUSED|INCOMPLETE_CHUNKED_ENCODING|EMPTY_RESPONSE)/ })
    const { page } = watched
    await page.goto(ui.url)
    const row = page.locator('tr[data-instance="a"]')
    await row.and(page.locator('[data-status="running"]')).waitFor()
    const navigations = watched.navigations()
    ok(["daemon", "stop", "--home", home])
    await page.getByRole("status").getByText("reconnecting").waitFor({ timeout: 10_000 })
    ok(["daemon", "start", "--home", home])
    await page.getByRole("status").getByText("live").waitFor({ timeout: 15_000 })
    await row.and(page.locator('[data-status="running"]')).waitFor({ timeout: 15_000 })
    const pid = await row.locator("td").first().innerText()
    ok(["restart", "a", "--home", home])
    await expect
      .poll(async () => {
        const now = await row.locator("td").first().innerText()
        return now !== pid && now !== "–" && (await row.getAttribute("data-status")) === "running"
      }, { timeout: 20_000 })
      .toBe(true)
    expect(watched.navigations()).toBe(navigations)
    await watched.finish()
  })

  it("stop asks first; yes stops it", async () => {
    const { api, ui } = await twoServers()
    const { page, finish } = await openPage(browser, api)
    await page.goto(ui.url)
    await page.locator('tr[data-instance="b"][data-status="running"]').waitFor()
    await page.getByRole("button", { name: "stop b" }).click()
    await page.getByRole("group", { name: "stop b?" }).waitFor()
    await page.getByRole("button", { name: "No" }).click()
    await page.getByRole("button", { name: "stop b" }).click()
    await page.getByRole("button", { name: "Yes, stop" }).click()
    await page.locator('tr[data-instance="b"][data-status="stopped"]').waitFor({ timeout: 15_000 })
    await finish()
  })

  it("an instance: its server killed with -9, the restart appears with its countdown, then in the history; its log follows what the server writes", async () => {
    const { home, api, ui } = await twoServers()
    const { page, finish } = await openPage(browser, api)
    await page.goto(ui.url)
    await page.getByRole("link", { name: "b", exact: true }).click()
    await page.getByRole("heading", { name: "b", exact: true }).waitFor()
    await page.getByLabel("b stderr").getByText("model loaded").waitFor()
    const loadedBefore = (await page.getByLabel("b stderr").innerText()).split("model loaded").length
    process.kill(servers(home).find((server) => server.instance === "b")!.pid, "SIGKILL")
    await page.locator(".countdown").getByText(/Restart 1 \(exit\w*\) in/).waitFor({ timeout: 10_000 })
    await shoot(page, "instance-countdown")
    await page.locator("table.restarts tbody tr").first().waitFor({ timeout: 15_000 })
    expect(await page.locator("table.restarts tbody tr").first().innerText()).toContain("SIGKILL")
    // The restarted server writes its start again: the followed log shows it without a reload.
    await expect.poll(async () => (await page.getByLabel("b stderr").innerText()).split("model loaded").length, { timeout: 20_000 }).toBeGreaterThan(loadedBefore)
    await page.getByText("healthy", { exact: true }).first().waitFor({ timeout: 15_000 })
    await page.getByRole("img", { name: /probe latency over the last hour/ }).waitFor()
    await page.getByLabel("search").fill("load_model")
    await expect.poll(async () => await page.getByLabel("b stderr").innerText()).not.toContain("model loaded")
    expect(await page.getByLabel("b stderr").innerText()).toContain("load_model")
    await shoot(page, "instance")
    await expectAccessible(page)
    await finish()
  })

  it("an instance's requests: none at first, then each one the gateway serves, live and newest first, a failed one marked", async () => {
    const { api, ui } = await twoServers()
    const watched = await openPage(browser, api)
    const { page } = watched
    await page.goto(ui.url)
    await page.getByRole("link", { name: "a", exact: true }).click()
    await page.getByRole("heading", { name: "a", exact: true }).waitFor()
    await page.getByText("None through the gateway yet.").waitFor()
    const navigations = watched.navigations()
    // Through the gateway on the daemon's listener, as a client would: no key, as orch.json sets none.
    const ask = async (body: unknown) =>
      (await fetch(`${new URL(api.url).origin}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })).status
    expect(await ask({ model: "a", messages: [{ role: "user", content: "Say hello" }] })).toBe(200)
    const rows = page.locator("table.requests tbody tr")
    await rows.first().waitFor({ timeout: 10_000 })
    expect(await rows.first().innerText()).toMatch(/\/v1\/chat\/completions\s+200\s+\d+ ms/)
    // The simulator refuses a chat without messages, as llama-server does.
    expect(await ask({ model: "a" })).toBe(400)
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(2)
    expect(await rows.first().locator("td.bad").innerText()).toBe("400")
    expect(watched.navigations()).toBe(navigations)
    await shoot(page, "instance-requests")
    await expectAccessible(page)
    await watched.finish()
  })

  it("events: live, filtered by instance and type", async () => {
    const { home, api, ui } = await twoServers()
    const { page, finish } = await openPage(browser, api)
    await page.goto(ui.url)
    await page.getByRole("link", { name: "Events" }).click()
    await page.locator('tr[data-type="ProcessSpawned"]').first().waitFor()
    await page.getByLabel("instance").selectOption("a")
    await page.getByLabel("type").selectOption("ProcessSpawned")
    await expect.poll(() => page.locator('table.events tbody tr:not([data-type="ProcessSpawned"])').count()).toBe(0)
    await page.locator('tr[data-type="ProcessSpawned"]').first().waitFor()
    const before = await page.locator("table.events tbody tr").count()
    expect(before).toBe(1)
    ok(["restart", "a", "--home", home])
    await expect.poll(() => page.locator("table.events tbody tr").count(), { timeout: 15_000 }).toBe(2)
    await shoot(page, "events")
    await expectAccessible(page)
    await finish()
  })

  it("devices and doctor", async () => {
    const { api, ui } = await twoServers()
    const { page, finish } = await openPage(browser, api)
    await page.goto(ui.url)
    await page.getByRole("link", { name: "Doctor" }).click()
    await page.locator("table.doctor tbody tr").first().waitFor()
    await shoot(page, "doctor")
    await expectAccessible(page)
    await page.getByRole("link", { name: "Devices" }).click()
    await page.getByRole("heading", { name: "Devices" }).waitFor()
    await shoot(page, "devices")
    await finish()
  })

  it("time travel: to the moment before a server was killed, it is healthy there; at the end, restarted", async () => {
    const { home, api, ui } = await twoServers()
    const { page, finish } = await openPage(browser, api)
    await page.goto(ui.url)
    await page.locator('tr[data-instance="a"][data-status="running"]').waitFor()
    await waitFor(async () => (types(home, "a").some((line) => line.type === "HealthProbed" && (line.data as { result: string }).result === "ok") ? true : undefined), 10_000)
    process.kill(servers(home).find((server) => server.instance === "a")!.pid, "SIGKILL")
    const exited = await waitFor(async () => types(home, "a").find((line) => line.type === "ProcessExited"), 10_000)
    await page.getByRole("link", { name: "Time travel" }).click()
    await page.getByLabel("seq", { exact: true }).and(page.locator('input[type="number"]')).fill(String(exited.seq - 1))
    await page.locator('table.then tr[data-instance="a"][data-status="running"][data-health="healthy"]').waitFor()
    await page.getByRole("status").getByText(`#${exited.seq - 1}`).waitFor()
    await shoot(page, "time-travel")
    await expectAccessible(page)
    await page.getByLabel("seq", { exact: true }).and(page.locator('input[type="number"]')).fill(String(exited.seq))
    await page.locator('table.then tr[data-instance="a"]:not([data-status="running"])').waitFor()
    await finish()
  })

  it("creates an instance through the form: a bad port is refused beside the field, a good one is written and `orch config validate` agrees", async () => {
    const { home, api, ui } = await twoServers()
    // The browser logs the API's refusals (422) itself: those are expected here.
    const { page, finish } = await openPage(browser, api, { expectedErrors: /status of 422 \(Unprocessable Entity\)/ })
    await page.goto(ui.url)
    await page.getByRole("link", { name: "New instance" }).click()
    await page.getByLabel("name", { exact: true }).fill("coder")
    await page.getByLabel("model file").fill("tiny.gguf")
    await page.getByLabel("port", { exact: true }).fill("70000")
    await page.getByRole("button", { name: "Create" }).click()
    const hint = page.locator('small[data-field="server.port"]')
    await hint.and(page.locator(".bad")).waitFor()
    expect(await hint.innerText()).toMatch(/65535/)
    expect(fs.existsSync(path.join(home, "instances", "coder"))).toBe(false)
    await shoot(page, "create-refused")
    await expectAccessible(page)
    const [port] = await freePorts(1)
    await page.getByLabel("port", { exact: true }).fill(String(port))
    await page.getByRole("button", { name: "Create" }).click()
    // The machine's checks come next: no llama-server on this PATH, said in the list of the other fields' problems.
    await page.getByRole("list", { name: "other problems" }).getByText(/binary.*not on PATH/).waitFor()
    const config = { model: { path: "tiny.gguf" }, server: { port }, binary: [process.execPath, SIM], args: ["--sim-load-ms", "50"] }
    await page.getByLabel("the whole config (JSON)").fill(JSON.stringify(config, null, 2))
    expect(await page.getByLabel("port", { exact: true }).inputValue()).toBe(String(port))
    await page.getByRole("button", { name: "Create" }).click()
    await page.getByRole("heading", { name: "coder", exact: true }).waitFor()
    const file = path.join(home, "instances", "coder", "config.json")
    expect(JSON.parse(fs.readFileSync(file, "utf8"))).toEqual(config)
    const validated = orch(["config", "validate", file, "--home", home, "--json"])
    expect(validated.code, validated.stdout).toBe(0)
    expect(JSON.parse(validated.stdout)).toMatchObject({ valid: true })
    await finish()
  })

  it("edits an instance's config from its page: the change is written, the rest kept as it was", async () => {
    const { home, api, ui } = await twoServers()
    const file = path.join(home, "instances", "a", "config.json")
    const before = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>
    const { page, finish } = await openPage(browser, api)
    await page.goto(ui.url)
    await page.getByRole("link", { name: "a", exact: true }).click()
    await page.getByRole("link", { name: "Edit config" }).click()
    await page.getByRole("heading", { name: "Edit a" }).waitFor()
    await expect.poll(() => page.getByLabel("model file").inputValue()).toBe("tiny.gguf")
    await page.getByLabel("context size").fill("2048")
    await page.getByRole("button", { name: "Save" }).click()
    await page.getByRole("status").getByText(/Saved to .*config\.json/).waitFor()
    expect(JSON.parse(fs.readFileSync(file, "utf8"))).toEqual({ ...before, model: { path: "tiny.gguf", context_size: 2048 } })
    await shoot(page, "edit")
    await expectAccessible(page)
    await finish()
  })

  it("pages the events back to the journal's first, a page at a time", async () => {
    const { home, api, ui } = await twoServers()
    // More than a page (200) of inert events, appended by this process as another writer would.
    await withJournal(
      path.join(home, "journal", "orch.db"),
      Effect.flatMap(Journal, (journal) => journal.append(Array.from({ length: 450 }, (_, size): NewEvent => ({ instance: "a", event: { _tag: "LogRotated", stream: "stderr", size } }))))
    )
    const total = types(home).length
    const { page, finish } = await openPage(browser, api)
    await page.goto(ui.url)
    await page.getByRole("link", { name: "Events" }).click()
    const rows = page.locator("table.events tbody tr")
    await expect.poll(() => rows.count()).toBeGreaterThanOrEqual(200)
    const older = page.getByRole("button", { name: "Older events" })
    for (let pages = 0; (await older.count()) > 0; pages++) {
      expect(pages).toBeLessThan(10)
      const before = await rows.count()
      await older.click()
      // Loaded when the button is back (more to come) or gone (the beginning): live events also add rows meanwhile.
      await expect.poll(async () => (await older.count()) === 0 || (await older.isEnabled())).toBe(true)
      expect(await rows.count()).toBeGreaterThan(before)
    }
    await page.getByText("The beginning of the journal.").waitFor()
    expect(await rows.count()).toBeGreaterThanOrEqual(total)
    expect(await rows.last().getAttribute("data-seq")).toBe("1")
    await finish()
  })

  it("works from the keyboard alone, and reads in the dark colour scheme", async () => {
    const { home, api, ui } = await twoServers()
    const { page, finish } = await openPage(browser, api, { colorScheme: "dark" })
    await page.goto(ui.url)
    const row = page.locator('tr[data-instance="a"]')
    await row.and(page.locator('[data-status="running"]')).waitFor()
    const pid = await row.locator("td").first().innerText()
    // Tab from the top of the page to a's restart button, then Enter.
    let focused = ""
    for (let presses = 0; focused !== "restart a" && presses < 40; presses++) {
      await page.keyboard.press("Tab")
      focused = (await page.evaluate("document.activeElement?.getAttribute('aria-label') ?? ''")) as string
    }
    expect(focused).toBe("restart a")
    await page.keyboard.press("Enter")
    await expect
      .poll(async () => {
        const now = await row.locator("td").first().innerText()
        return now !== pid && now !== "–" && (await row.getAttribute("data-status")) === "running"
      }, { timeout: 15_000 })
      .toBe(true)
    expect(servers(home).find((server) => server.instance === "a")!.pid).toBe(Number(await row.locator("td").first().innerText()))
    expect(await page.evaluate("getComputedStyle(document.documentElement).backgroundColor")).toBe("rgb(22, 23, 24)")
    await shoot(page, "instances-dark")
    await expectAccessible(page)
    await finish()
  })

  it("is readable on a phone's width", async () => {
    const { api, ui } = await twoServers()
    const { page, finish } = await openPage(browser, api, { viewport: { width: 390, height: 844 } })
    await page.goto(ui.url)
    await page.locator('tr[data-instance="a"]').waitFor()
    const overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    expect(overflow).toBeLessThanOrEqual(0)
    await shoot(page, "instances-phone")
    await finish()
  })
})
