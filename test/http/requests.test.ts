import { Agent, request } from "undici"
import { describe, expect, it } from "vitest"
import { addSim, type JournalLine, servers, simHome, types } from "../support/daemon.js"
import { freePort } from "../support/net.js"
import { ORCH_CLI, orch } from "../support/orch.js"
import { waitFor } from "../support/sim.js"
import { apiOf } from "../support/sse.js"

/**
 * POST /api/v1/requests: a whole `orch up|down|restart NAME… | --all` as one request to a real
 * daemon over real HTTP on 127.0.0.1, its servers the simulator. What it records is compared with
 * what the full CLI (not the launcher, which may send this very request) records for the command.
 */

// A connection per request: each test's daemon dies after it, and so does its port.
const noKeepAlive = new Agent({ pipelining: 0 })

interface Answer {
  readonly status: number
  readonly text: string
  readonly json: any
}

const startDaemon = async (home: string) => {
  const started = orch(["daemon", "start", "--home", home])
  expect(started.code, started.stderr).toBe(0)
  const api = await apiOf(home)
  const origin = new URL(api.url).origin
  /** POST /api/v1/requests with this body (a string is sent as it is). */
  const ask = async (body: unknown): Promise<Answer> => {
    const response = await request(`${origin}/api/v1/requests`, {
      method: "POST",
      headers: { authorization: `Bearer ${api.token}`, "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
      dispatcher: noKeepAlive,
      headersTimeout: 30_000,
      bodyTimeout: 30_000
    })
    const text = await response.body.text()
    const json = String(response.headers["content-type"] ?? "").startsWith("application/json") ? JSON.parse(text) : undefined
    return { status: response.statusCode, text, json }
  }
  return { home, ask }
}

/** A home with the simulator as each of `names`, on ports of their own. */
const homeWith = async (names: ReadonlyArray<string>) => {
  const home = simHome()
  for (const name of names) addSim(home, name, await freePort())
  return home
}

const REQUESTS = new Set(["ConfigApplied", "StartRequested", "StopRequested", "RestartRequested"])

/** The requests recorded after `after`, as what matters for comparing two homes: type, instance, by. */
const requestsAfter = (home: string, after = 0) =>
  types(home)
    .filter((event) => event.seq > after && REQUESTS.has(event.type))
    .map((event) => ({ type: event.type, instance: event.instance, by: (event.data as { by?: unknown })["by"] }))

const running = (home: string, count: number) => waitFor(async () => (servers(home).length === count ? servers(home) : undefined), 15_000, 100)

const statusOf = (home: string) =>
  Object.fromEntries((JSON.parse(orch(["ps", "--json", "--home", home]).stdout) as ReadonlyArray<{ name: string; status: string }>).map((row) => [row.name, row.status]))

describe("POST /api/v1/requests", () => {
  it("records for up of two instances what `orch up a b --no-wait` records, in one append the daemon acts on", async () => {
    const byCli = await homeWith(["a", "b"])
    const cli = orch(["up", "a", "b", "--no-wait", "--home", byCli], { entry: ORCH_CLI })
    expect(cli.code, cli.stderr).toBe(0)
    expect(cli.stdout).toContain("requested: a, b")

    const daemon = await startDaemon(await homeWith(["a", "b"]))
    const before = types(daemon.home).at(-1)!.seq
    const answer = await daemon.ask({ action: "up", names: ["a", "b"], by: "cli" })
    expect(answer.status, answer.text).toBe(202)
    expect(answer.json).toEqual({ after: expect.any(Number), names: ["a", "b"] })
    expect(answer.json.after).toBeGreaterThanOrEqual(before)

    const recorded = requestsAfter(daemon.home, answer.json.after)
    expect(recorded).toEqual(requestsAfter(byCli))
    expect(recorded).toEqual([
      { type: "ConfigApplied", instance: "a", by: undefined },
      { type: "StartRequested", instance: "a", by: "cli" },
      { type: "ConfigApplied", instance: "b", by: undefined },
      { type: "StartRequested", instance: "b", by: "cli" }
    ])
    // `after` is the seq the requests follow: the first of them is the next one.
    const firstAfter = types(daemon.home).find((event) => event.seq > answer.json.after)!
    expect(firstAfter).toMatchObject({ type: "ConfigApplied", instance: "a" })
    // In one append: nothing of the daemon's own between them.
    const batch = types(daemon.home).filter((event) => event.seq > answer.json.after).slice(0, 4)
    expect(batch.map((event: JournalLine) => `${event.type} ${event.instance}`)).toEqual(["ConfigApplied a", "StartRequested a", "ConfigApplied b", "StartRequested b"])
    expect(batch.map((event) => event.seq)).toEqual([1, 2, 3, 4].map((offset) => answer.json.after + offset))

    // The daemon acts on it: both servers run.
    expect((await running(daemon.home, 2)).map((server) => server.instance).sort()).toEqual(["a", "b"])
    await running(byCli, 2)

    // by defaults to api.
    const again = await daemon.ask({ action: "up", names: ["a"] })
    expect(again.status, again.text).toBe(202)
    expect(requestsAfter(daemon.home, again.json.after)).toEqual([{ type: "StartRequested", instance: "a", by: "api" }])
  }, 60_000)

  it("up with all: every instance configured on disk; none there: names [] and nothing recorded", async () => {
    const empty = await startDaemon(simHome())
    const last = types(empty.home).at(-1)!.seq
    const none = await empty.ask({ action: "up", all: true })
    expect(none.status, none.text).toBe(202)
    expect(none.json.names).toEqual([])
    expect(requestsAfter(empty.home)).toEqual([])

    const daemon = await startDaemon(await homeWith(["b", "a"]))
    const all = await daemon.ask({ action: "up", all: true, by: "cli" })
    expect(all.status, all.text).toBe(202)
    expect(all.json.names).toEqual(["a", "b"])
    expect(requestsAfter(daemon.home, all.json.after).filter((event) => event.type === "StartRequested")).toEqual([
      { type: "StartRequested", instance: "a", by: "cli" },
      { type: "StartRequested", instance: "b", by: "cli" }
    ])
    await running(daemon.home, 2)
    expect(none.json.after).toBeLessThanOrEqual(types(empty.home).at(-1)!.seq)
    expect(none.json.after).toBeGreaterThanOrEqual(last)
  }, 60_000)

  it("refuses up when any config has a problem: 422 with the findings, nothing recorded for any", async () => {
    const home = await homeWith(["good"])
    addSim(home, "nomodel", await freePort(), [], { model: { path: "missing.gguf" } })
    const daemon = await startDaemon(home)
    const before = types(home).at(-1)!.seq
    const refused = await daemon.ask({ action: "up", names: ["good", "nomodel", "ghost"] })
    expect(refused.status, refused.text).toBe(422)
    expect(refused.json._tag).toBe("Invalid")
    expect(refused.json.message).toContain("not started")
    expect(refused.json.message).toContain("nothing was recorded")
    expect(refused.json.findings.map((finding: { instance: string }) => finding.instance)).toEqual(expect.arrayContaining(["nomodel", "ghost"]))
    expect(refused.json.findings.find((finding: { instance: string }) => finding.instance === "nomodel")).toMatchObject({ field: "model.path" })
    expect(refused.json.findings.some((finding: { instance: string }) => finding.instance === "good")).toBe(false)

    // The CLI says the same problems for the same command, and records nothing either.
    const cli = orch(["up", "good", "nomodel", "ghost", "--no-wait", "--home", home], { entry: ORCH_CLI })
    expect(cli.code).toBe(1)
    expect(cli.stdout + cli.stderr).toContain(`not started: the config has ${refused.json.findings.length} problems`)

    expect(types(home).filter((event) => event.seq > before && event.instance !== null)).toEqual([])
    expect(servers(home)).toEqual([])
  }, 60_000)

  it("down with all stops every instance the journal knows; restart restarts the named; down all with none: names []", async () => {
    const empty = await startDaemon(simHome())
    const none = await empty.ask({ action: "down", all: true })
    expect(none.status, none.text).toBe(202)
    expect(none.json.names).toEqual([])
    expect(requestsAfter(empty.home)).toEqual([])

    const daemon = await startDaemon(await homeWith(["a", "b", "c"]))
    expect((await daemon.ask({ action: "up", names: ["b", "a"] })).status).toBe(202)
    const [firstA] = (await running(daemon.home, 2)).filter((server) => server.instance === "a")

    const restarted = await daemon.ask({ action: "restart", names: ["a"], by: "cli" })
    expect(restarted.status, restarted.text).toBe(202)
    expect(restarted.json.names).toEqual(["a"])
    expect(requestsAfter(daemon.home, restarted.json.after)).toEqual([{ type: "RestartRequested", instance: "a", by: "cli" }])
    await waitFor(async () => {
      const a = servers(daemon.home).find((server) => server.instance === "a")
      return a !== undefined && a.pid !== firstA!.pid && statusOf(daemon.home)["a"] === "running" ? true : undefined
    }, 15_000, 100)

    // c was never started: the journal does not know it, so all does not name it.
    const down = await daemon.ask({ action: "down", all: true })
    expect(down.status, down.text).toBe(202)
    expect(down.json.names).toEqual(["a", "b"])
    expect(requestsAfter(daemon.home, down.json.after)).toEqual([
      { type: "StopRequested", instance: "a", by: "api" },
      { type: "StopRequested", instance: "b", by: "api" }
    ])
    await running(daemon.home, 0)
    expect(statusOf(daemon.home)).toMatchObject({ a: "stopped", b: "stopped" })
  }, 60_000)

  it("refuses a bad body with 400 and a message that says what is wrong, recording nothing", async () => {
    const daemon = await startDaemon(await homeWith(["a"]))
    const before = types(daemon.home).at(-1)!.seq
    const cases: ReadonlyArray<readonly [unknown, RegExp]> = [
      [{ action: "up", names: ["a"], all: true }, /names or all, not both/],
      [{ action: "down" }, /no instance named/],
      [{ action: "down", all: false }, /no instance named/],
      [{ action: "up", names: [] }, /names is empty/],
      [{ action: "start", names: ["a"] }, /^action: is not an action: "up", "down" or "restart"$/],
      [{ names: ["a"] }, /^action: is missing$/],
      [{ action: "up", names: ["Not A Name"] }, /names\.0: is not an instance name/],
      [{ action: "up", names: ["../a"] }, /is not an instance name/],
      [{ action: "up", names: "a" }, /^names: is not a list of instance names$/],
      [{ action: "up", names: ["a"], by: "gateway" }, /^by: is not "cli" or "api"$/],
      [{ action: "up", all: "yes" }, /^all: is not true or false$/],
      ["not json", /could not be read|JSON/]
    ]
    for (const [body, said] of cases) {
      const answer = await daemon.ask(body)
      expect(answer.status, `${JSON.stringify(body)}: ${answer.text}`).toBe(400)
      expect(answer.json._tag, JSON.stringify(body)).toBe("BadRequest")
      expect(answer.json.message, JSON.stringify(body)).toMatch(said)
      expect(answer.json.hint.length, JSON.stringify(body)).toBeGreaterThan(0)
    }
    expect(types(daemon.home).filter((event) => event.seq > before && event.instance !== null)).toEqual([])
  }, 60_000)
})
