import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as http from "node:http"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { addSim, simHome } from "../support/daemon.js"
import { tempHome } from "../support/home.js"
import { freePort } from "../support/net.js"
import { ORCH, ORCH_CLI, orch, type Run } from "../support/orch.js"
import { VERSION } from "../../src/cli/version.js"

/** What may differ between two looks a moment apart: ages, and the table widths they set. */
const settled = (text: string) =>
  text
    .replace(/\b\d+d(\d+h)?\b|\b\d+h(\d+m)?\b|\b\d+m(\d+s)?\b|\b\d+s\b/g, "AGE")
    .replace(/"uptime_ms": \d+/g, '"uptime_ms": N')
    .replace(/─+/g, "─")
    .replace(/ +/g, " ")

/** The same command through the launcher (the daemon's API, where one answers) and through the full CLI (the journal folded). */
const bothWays = (args: ReadonlyArray<string>) => {
  const thin = orch(args)
  const folded = orch(args, { entry: ORCH_CLI })
  return { thin, folded }
}

const same = (a: Run, b: Run) => {
  expect({ code: a.code, stdout: settled(a.stdout), stderr: a.stderr }).toEqual({ code: b.code, stdout: settled(b.stdout), stderr: b.stderr })
}

describe("the thin launcher", () => {
  it("prints, with a daemon, what the journal's fold prints: the same content and exit codes", async () => {
    const home = simHome()
    // No probe after the first healthy one within the test: both looks see the same history.
    addSim(home, "chat", await freePort(), [], { healthcheck: { interval: "1h" } })
    addSim(home, "coder", await freePort())
    expect(orch(["up", "chat", "--home", home]).code).toBe(0)
    expect(fs.existsSync(path.join(home, "journal", "daemon.api"))).toBe(true)
    for (const args of [["ps"], ["ps", "--json"], ["describe", "chat"], ["describe", "chat", "--json"], ["describe", "coder", "--json"], ["describe", "nobody"],
      ["events", "--limit", "6"], ["events", "--limit", "6", "--json"], ["events", "--limit=2", "--instance", "chat", "--type", "HealthProbed,ProcessSpawned"], ["events", "--limit", "3", "--type", "NoSuchType"],
      ["health", "--all"], ["health", "--all", "--json"], ["health", "chat"], ["health", "chat", "--json", "--last", "2"], ["health", "coder"], ["health", "nobody"]]) {
      const { thin, folded } = bothWays([...args, "--home", home])
      same(thin, folded)
    }
    // Requests go through the daemon: recorded by cli, as the CLI records them; a refusal is worded by the full CLI.
    expect(orch(["up", "coder", "--no-wait", "--home", home])).toMatchObject({ code: 0, stdout: "requested: coder\n" })
    const down = orch(["down", "coder", "--home", home])
    expect(down.code).toBe(0)
    expect(down.stdout).toMatch(/✓ coder: stopped/)
    const asked = orch(["events", "--type", "StartRequested,StopRequested", "--instance", "coder", "--json", "--home", home]).stdout.trim().split("\n").map((line) => JSON.parse(line))
    expect(asked.map((event) => [event.type, event.data.by])).toEqual([["StartRequested", "cli"], ["StopRequested", "cli"]])
    fs.mkdirSync(path.join(home, "instances", "broken"))
    fs.writeFileSync(path.join(home, "instances", "broken", "config.json"), JSON.stringify({ model: { path: "nowhere.gguf" }, server: { port: 1 } }))
    const lastSeq = () => JSON.parse(orch(["events", "--limit", "1", "--json", "--home", home]).stdout).seq
    const before = lastSeq()
    const refused = bothWays(["up", "broken", "--no-wait", "--home", home])
    same(refused.thin, refused.folded)
    expect(refused.thin.code).toBe(1)
    expect(lastSeq()).toBe(before)
    expect(orch(["daemon", "stop", "--all", "--home", home]).code).toBe(0)
    expect(fs.existsSync(path.join(home, "journal", "daemon.api"))).toBe(false)
    const { thin, folded } = bothWays(["ps", "--home", home])
    same(thin, folded)
  }, 90_000)
})

describe("the thin launcher's trust in an answer", () => {
  const fakes: Array<http.Server> = []
  afterEach(() => void fakes.splice(0).forEach((server) => server.close()))

  /** A home whose address file names a server of the test's, answering as `pid`. */
  const fakeDaemon = async (pid: number, version = VERSION) => {
    const home = tempHome()
    const seen: Array<string> = []
    const server = http.createServer((request, response) => {
      seen.push(`${request.method} ${request.url} ${request.headers.authorization}`)
      response.writeHead(200, { "content-type": "application/json", "x-orch-daemon": String(pid), "x-orch-version": version })
      response.end(JSON.stringify([{ name: "from-the-api", pid: 4242, host: "127.0.0.1", port: 1, backend: "cpu", device: null, model: "m.gguf", status: "running", health: "healthy", desired: "up", started_at: 0, uptime_ms: 5_000, restarts: 0, actual_pids: null }]))
    })
    fakes.push(server)
    const port = await new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)))
    fs.mkdirSync(path.join(home, "journal"), { recursive: true })
    fs.writeFileSync(path.join(home, "journal", "daemon.api"), JSON.stringify({ pid: process.pid, url: `http://127.0.0.1:${port}` }))
    fs.writeFileSync(path.join(home, "journal", "api.token"), "the-token\n")
    return { home, seen }
  }

  // Asynchronous: the fake server answers from this process.
  const ps = (home: string) =>
    new Promise<string>((resolve) => execFile(process.execPath, [ORCH, "ps", "--home", home], { env: { ...process.env, NO_COLOR: "1" } }, (_error, stdout) => resolve(stdout)))

  it("asks the daemon its address file names, with the home's token, and prints its answer", async () => {
    const { home, seen } = await fakeDaemon(process.pid)
    const printed = await ps(home)
    expect(seen).toEqual(["GET /api/v1/instances Bearer the-token"])
    expect(printed).toMatch(/│ from-the-api │ 4242 │ 1 +│ cpu/)
  })

  it("reads the journal itself when the answer comes from another process than the file names", async () => {
    const { home, seen } = await fakeDaemon(process.pid + 1)
    const printed = await ps(home)
    expect(seen).toHaveLength(1)
    expect(printed).not.toContain("from-the-api")
    expect(printed).toContain(`No instances in ${home} yet`)
  })

  it("reads the journal itself when the daemon is of another version of orch (its shapes may not be this one's)", async () => {
    const { home, seen } = await fakeDaemon(process.pid, "0.0.1")
    const printed = await ps(home)
    expect(seen).toHaveLength(1)
    expect(printed).not.toContain("from-the-api")
    expect(printed).toContain(`No instances in ${home} yet`)
  })

  it("says so where a daemon took a restart and never answered (a restart asked twice would be two), and asks nothing again", async () => {
    const { home, seen } = await fakeDaemon(process.pid)
    const [server] = fakes
    server!.removeAllListeners("request")
    server!.on("request", (request: http.IncomingMessage) => seen.push(`${request.method} ${request.url}`))
    const run = await new Promise<{ code: number | null; stdout: string }>((resolve) =>
      execFile(process.execPath, [ORCH, "restart", "x", "--no-wait", "--home", home], { env: { ...process.env, NO_COLOR: "1" } }, (error, stdout) => resolve({ code: error === null ? 0 : (error.code as number), stdout }))
    )
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/^✗ no answer from the daemon at http:\/\/127\.0\.0\.1:\d+\/api\/v1\/requests: the request may have been recorded/)
    expect(seen).toEqual(["POST /api/v1/requests"])
  }, 30_000)

  it("does not ask where the daemon the file names is gone", async () => {
    const { home, seen } = await fakeDaemon(process.pid)
    fs.writeFileSync(path.join(home, "journal", "daemon.api"), JSON.stringify({ pid: 2 ** 22 + 1, url: "http://127.0.0.1:1" }))
    const printed = await ps(home)
    expect(seen).toEqual([])
    expect(printed).toContain(`No instances in ${home} yet`)
  })
})
