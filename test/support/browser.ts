import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as path from "node:path"
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core"
import { fetch } from "undici"
import { expect, onTestFinished } from "vitest"
import type { ApiShown } from "./sse.js"

/**
 * Debian's Chromium (`.ci/run` installs it: Playwright's own browser downloads cannot work here),
 * headless, kept off the network: without these flags it calls Google's hosts at every start.
 */
export const launchBrowser = (): Promise<Browser> =>
  chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
  })

/** Where the screenshots go, for a person to look at: one per page the tests visit. */
export const SHOTS = path.resolve("test-output/console")

export const shoot = async (page: Page, name: string) => {
  fs.mkdirSync(SHOTS, { recursive: true })
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true })
}

/** The OpenAPI paths as patterns: `{name}` is one segment. */
const pathPatterns = async (api: ApiShown) => {
  const document = (await (await fetch(api.openapi, { headers: { authorization: `Bearer ${api.token}` } })).json()) as { paths: Record<string, unknown> }
  return Object.keys(document.paths).map((template) => new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`))
}

export interface Console {
  readonly page: Page
  readonly context: BrowserContext
  /** Every URL the page asked for. */
  readonly requests: ReadonlyArray<string>
  /** Navigations of the main frame after the first: a live page never reloads. */
  readonly navigations: () => number
  /**
   * Closes the page, then checks what it did: called by the test while its daemon still runs (a
   * daemon gone cuts the event stream, and the browser logs that as an error).
   */
  readonly finish: () => Promise<void>
}

/**
 * A page in a fresh browser context (no cookie), watched for what the console must not do: log
 * an error, or call anything but its own files and the public API (the OpenAPI document's paths).
 * Both are checked by `finish()`; the context is closed at the test's end in any case.
 */
export const openPage = async (
  browser: Browser,
  api: ApiShown,
  options: { readonly viewport?: { readonly width: number; readonly height: number }; readonly colorScheme?: "light" | "dark"; readonly expectedErrors?: RegExp } = {}
): Promise<Console> => {
  const viewport = options.viewport ?? { width: 1280, height: 800 }
  const context = await browser.newContext({ viewport: { ...viewport }, colorScheme: options.colorScheme ?? "light" })
  const page = await context.newPage()
  const errors: Array<string> = []
  const requests: Array<string> = []
  let navigations = 0
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text())
  })
  page.on("pageerror", (error) => errors.push(String(error)))
  page.on("request", (request) => requests.push(request.url()))
  page.on("framenavigated", (frame) => {
    if (frame === page.mainFrame()) navigations++
  })
  const patterns = await pathPatterns(api)
  const origin = new URL(api.url).origin
  onTestFinished(() => context.close())
  const finish = async () => {
    await context.close()
    expect(errors.filter((error) => options.expectedErrors?.test(error) !== true), "the page logged errors").toEqual([])
    for (const url of requests) {
      const { origin: from, pathname } = new URL(url)
      expect(from, `${url}: only this daemon`).toBe(origin)
      const allowed = pathname === "/" || pathname.startsWith("/assets/") || patterns.some((pattern) => pattern.test(pathname))
      expect(allowed, `${url} is neither the console's own file nor an endpoint of the public API`).toBe(true)
    }
  }
  return { page, context, requests, navigations: () => navigations, finish }
}

/** axe-core's findings of impact serious or critical on the page as it is now. */
export const seriousViolations = async (page: Page) => {
  // Evaluated through the DevTools protocol: the console's CSP refuses an injected <script>, as it should.
  await page.evaluate(fs.readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8"))
  const results = (await page.evaluate("axe.run(document, { resultTypes: ['violations'] })")) as {
    violations: ReadonlyArray<{ id: string; impact: string | null; help: string; nodes: ReadonlyArray<{ target: ReadonlyArray<string> }> }>
  }
  return results.violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map((violation) => `${violation.id} (${violation.impact}): ${violation.help} at ${violation.nodes.map((node) => node.target.join(" ")).join(", ")}`)
}
