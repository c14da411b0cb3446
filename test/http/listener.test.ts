import * as fs from "node:fs"
import * as path from "node:path"
import { fetch } from "undici"
import { describe, expect, it } from "vitest"
import { type JournalLine, addSim, daemonPid, simHome, types } from "../support/daemon.js"
import { freePort, listen } from "../support/net.js"
import { orch } from "../support/orch.js"
import { waitFor } from "../support/sim.js"
import { type ApiShown, apiOf, listeningPorts } from "../support/sse.js"

/**
 * The daemon's listener (src/http/listener.ts), from outside: where orch.json says, or said why
 * not, in the journal, the log, `orch api`, `orch daemon status` and `orch doctor`; and a daemon
 * without its API still supervises.
 */

const ok = (args: ReadonlyArray<string>) => {
  const run = orch(args)
  expect(run.code, `orch ${args.join(" ")}: ${run.stdout}${run.stderr}`).toBe(0)
  return run
}

const writeSettings = (home: string, settings: unknown) => fs.writeFileSync(path.join(home, "orch.json"), `${JSON.stringify(settings)}\n`)

const daemonLog = (home: string) => fs.readFileSync(path.join(home, "journal", "daemon.log"), "utf8")
const tokenFile = (home: string) => path.join(home, "journal", "api.token")
const modeOf = (file: string) => fs.statSync(file).mode & 0o777

/** The ApiFailed the daemon records when its listener cannot start, once it has. */
const apiFailed = (home: string) =>
  waitFor(async () => types(home).find((line) => line.type === "ApiFailed") as (JournalLine & { readonly data: { readonly host: string; readonly port: number; readonly problem: string } }) | undefined)

/** A sim instance `a`: started and healthy, which only a supervising daemon can do. */
const simUp = async (home: string) => {
  const run = ok(["up", "a", "--home", home])
  expect(run.stdout).toMatch(/✓ a: healthy/)
}

const newHome = async () => {
  const home = simHome()
  addSim(home, "a", await freePort())
  return home
}

/** `orch doctor --json`'s "api" check. */
const doctorApi = (home: string) => {
  const run = orch(["doctor", "--home", home, "--json"])
  const checks = JSON.parse(run.stdout) as ReadonlyArray<{ check: string; status: string; detail: string; fix: string }>
  return checks.find((check) => check.check === "api")
}

const statusJson = (home: string) => JSON.parse(ok(["daemon", "status", "--home", home, "--json"]).stdout) as { api: { url: string | null; problem: string | null } | null }

describe("a listener that cannot start", () => {
  it("a taken port: ApiFailed names it, the log says so, the daemon supervises on, and doctor, status and `orch api` say why", async () => {
    const home = await newHome()
    const taken = await listen()
    writeSettings(home, { http: { listen: `127.0.0.1:${taken}` } })
    ok(["daemon", "start", "--home", home])
    const failed = await apiFailed(home)
    expect(failed.data).toEqual({ host: "127.0.0.1", port: taken, problem: expect.stringMatching(/taken/) })
    expect(types(home).some((line) => line.type === "ApiListening")).toBe(false)
    expect(daemonLog(home)).toMatch(new RegExp(`no API on 127\\.0\\.0\\.1:${taken}: .*taken.*supervising on`))
    expect(listeningPorts(daemonPid(home)!)).toEqual([])

    await simUp(home)

    const doctor = doctorApi(home)
    expect(doctor).toMatchObject({ status: "fail", detail: expect.stringContaining(`127.0.0.1:${taken}`) })
    expect(doctor!.detail).toMatch(/taken/)
    expect(doctor!.fix).toMatch(/orch\.json/)
    expect(statusJson(home).api).toEqual({ url: null, problem: expect.stringMatching(new RegExp(`127\\.0\\.0\\.1:${taken}: .*taken`)) })
    expect(ok(["daemon", "status", "--home", home]).stdout).toMatch(new RegExp(`api: +none on 127\\.0\\.0\\.1:${taken}: .*taken`))

    const api = orch(["api", "--home", home])
    expect(api.code).toBe(1)
    const said = api.stdout + api.stderr
    expect(said).toContain(`127.0.0.1:${taken}`)
    expect(said).toContain("orch.json")
    const asJson = orch(["api", "--home", home, "--json"])
    expect(asJson.code).toBe(1)
    expect(JSON.parse(asJson.stdout)).toEqual({ url: null, problem: expect.stringContaining(`127.0.0.1:${taken}`) })
  })

  it('"off": no listener, nothing recorded about one, and `orch api` says it is off', async () => {
    const home = await newHome()
    writeSettings(home, { http: { listen: "off" } })
    await simUp(home)
    expect(listeningPorts(daemonPid(home)!)).toEqual([])
    expect(types(home).filter((line) => line.type === "ApiListening" || line.type === "ApiFailed")).toEqual([])
    const api = orch(["api", "--home", home])
    expect(api.code).toBe(1)
    expect(api.stdout + api.stderr).toMatch(/off/)
    expect(api.stdout + api.stderr).toContain("orch.json")
    expect(statusJson(home).api).toBeNull()
    expect(doctorApi(home)?.status).not.toBe("fail")
  })

  it('a non-loopback address with auth "none": config lint refuses it, and the daemon records why instead of binding', async () => {
    const home = await newHome()
    writeSettings(home, { http: { listen: "0.0.0.0:0", auth: "none" } })
    const lint = orch(["config", "lint", "--home", home])
    expect(lint.code).toBe(1)
    expect(lint.stdout + lint.stderr).toContain("orch.json")
    expect(lint.stdout + lint.stderr).toContain("http.auth")

    ok(["daemon", "start", "--home", home])
    const failed = await apiFailed(home)
    expect(failed.data.problem).toContain("orch.json")
    expect(failed.data.problem).toContain("http.auth")
    expect(listeningPorts(daemonPid(home)!)).toEqual([])
    expect(daemonLog(home)).toMatch(/no API: orch\.json: http\.auth/)
    await simUp(home)
    const api = orch(["api", "--home", home])
    expect(api.code).toBe(1)
    expect(api.stdout + api.stderr).toContain("http.auth")
    // It never tried an address: no port to blame, and nothing to say about http.listen.
    expect(api.stdout + api.stderr).not.toMatch(/7433|set http\.listen/)
    expect(api.stdout + api.stderr).toContain("orch config lint")
  })

  it("an orch.json with a misspelt key: ApiFailed names orch.json and the key, and the daemon supervises on", async () => {
    const home = await newHome()
    writeSettings(home, { http: { lisen: "127.0.0.1:0" } })
    ok(["daemon", "start", "--home", home])
    const failed = await apiFailed(home)
    expect(failed.data.problem).toMatch(/^orch\.json: /)
    expect(failed.data.problem).toContain("lisen")
    expect(listeningPorts(daemonPid(home)!)).toEqual([])
    await simUp(home)
    expect(doctorApi(home)?.status).toBe("fail")
    const api = orch(["api", "--home", home])
    expect(api.code).toBe(1)
    expect(api.stdout + api.stderr).toMatch(/orch\.json: .*lisen/)
    expect(api.stdout + api.stderr).not.toMatch(/7433/)
  })
})

describe("the API's token", () => {
  it("is made 0600 at the first start, kept across a restart, and narrowed back to 0600 if widened", async () => {
    const home = await newHome()
    expect(fs.existsSync(tokenFile(home))).toBe(false)
    ok(["daemon", "start", "--home", home])
    const first = await apiOf(home)
    expect(modeOf(tokenFile(home))).toBe(0o600)
    const token = fs.readFileSync(tokenFile(home), "utf8").trim()
    expect(token).toMatch(/^[A-Za-z0-9_-]{40,}$/)
    expect(first.token).toBe(token)

    ok(["daemon", "stop", "--home", home])
    ok(["daemon", "start", "--home", home])
    const second = await apiOf(home)
    expect(second.token).toBe(token)
    expect(modeOf(tokenFile(home))).toBe(0o600)
    expect((await get(second, "/instances")).status).toBe(200)

    fs.chmodSync(tokenFile(home), 0o644)
    ok(["daemon", "stop", "--home", home])
    ok(["daemon", "start", "--home", home])
    const third = await apiOf(home)
    expect(modeOf(tokenFile(home))).toBe(0o600)
    expect(third.token).toBe(token)
    expect((await get(third, "/instances")).status).toBe(200)
    expect((await get({ ...third, token: `${token.slice(0, -1)}x` }, "/instances")).status).toBe(401)
    expect((await get({ ...third, token: null }, "/instances")).status).toBe(401)
  }, 40_000)
})

/** A request to the API, with its token (if any) as a Bearer. */
const get = async (api: Pick<ApiShown, "url" | "token">, pathname: string, headers: Record<string, string> = {}) => {
  const response = await fetch(`${api.url}${pathname}`, {
    headers: { ...(api.token === null ? {} : { authorization: `Bearer ${api.token}` }), ...headers },
    redirect: "manual",
    signal: AbortSignal.timeout(5_000)
  })
  return { status: response.status, headers: response.headers, body: await response.text() }
}

describe("orch api", () => {
  it("prints the API URL, the docs URL with ?token= and the token, which work; --json the same", async () => {
    const home = await newHome()
    ok(["daemon", "start", "--home", home])
    const shown = await apiOf(home)
    const port = listeningPorts(daemonPid(home)!)
    expect(port).toHaveLength(1)
    const base = `http://127.0.0.1:${port[0]}`
    const token = fs.readFileSync(tokenFile(home), "utf8").trim()
    expect(shown).toEqual({
      url: `${base}/api/v1`,
      docs: `${base}/api/docs`,
      open: `${base}/api/docs?token=${token}`,
      token,
      openapi: `${base}/api/v1/openapi.json`,
      metrics: `${base}/metrics`,
      gateway: `${base}/v1`
    })
    const listening = types(home).find((line) => line.type === "ApiListening")
    expect(listening?.data).toEqual({ host: "127.0.0.1", port: port[0] })

    const text = ok(["api", "--home", home]).stdout
    expect(text).toMatch(new RegExp(`^API: +${base}/api/v1$`, "m"))
    expect(text).toMatch(new RegExp(`^gateway: +${base}/v1 `, "m"))
    expect(text).toContain(`${base}/api/docs?token=${token}`)
    expect(text).toMatch(new RegExp(`^token: +${token}\\b`, "m"))

    // What it prints works: the API with the token, and the docs URL lets a browser in with a cookie.
    expect((await get(shown, "/instances")).status).toBe(200)
    const opened = await fetch(shown.open, { redirect: "manual", signal: AbortSignal.timeout(5_000) })
    expect(opened.status).toBe(303)
    expect(opened.headers.get("location")).toBe("/api/docs")
    const cookie = opened.headers.get("set-cookie")!.split(";")[0]!
    expect((await get({ url: base, token: null }, "/api/docs", { cookie })).status).toBe(200)
    expect(statusJson(home).api).toEqual({ url: `${base}/api/v1`, problem: null })
    expect(doctorApi(home)).toMatchObject({ status: "ok", detail: `${base}/api/v1` })
  })

  it("right after `orch daemon start`: the address, not \"off\" nor \"no daemon\" while the daemon has yet to record it", async () => {
    const home = await newHome()
    // A race (the daemon records where it listens a moment after `daemon start` returns): a few rounds.
    for (let round = 0; round < 3; round++) {
      ok(["daemon", "start", "--home", home])
      const run = orch(["api", "--home", home, "--json"])
      expect(run.code, run.stdout + run.stderr).toBe(0)
      expect(JSON.parse(run.stdout).url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v1$/)
      ok(["daemon", "stop", "--home", home])
    }
  }, 60_000)

  it("with no daemon: exits 1 and says so", async () => {
    const home = await newHome()
    const run = orch(["api", "--home", home])
    expect(run.code).toBe(1)
    expect(run.stdout + run.stderr).toMatch(/no daemon/)
  })
})
