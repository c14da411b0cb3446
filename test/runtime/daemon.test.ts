import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { Journal } from "../../src/journal/Journal.js"
import { addSim, count, daemonPid, servers, simHome, types } from "../support/daemon.js"
import { journalIn, on, withJournal } from "../support/journal.js"
import { freePort, freePorts, listen } from "../support/net.js"
import { ORCH, hasStackTrace, orch } from "../support/orch.js"
import { SIM, TINY_MODEL, request, waitFor } from "../support/sim.js"

/** Runs `orch` without blocking the test: for things that happen at once. */
const orchAsync = (args: ReadonlyArray<string>) =>
  new Promise<{ code: number | null; stdout: string }>((resolve) => {
    const child = spawn(process.execPath, [ORCH, ...args], { env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    child.stdout.on("data", (chunk) => (stdout += chunk))
    child.once("exit", (code) => resolve({ code, stdout }))
  })

describe("orch up, down, restart", () => {
  it("start a server, restart it as a new process, and stop it", async () => {
    const home = simHome()
    const port = await freePort()
    addSim(home, "chat", port)
    // No NODE_OPTIONS of the test runner's: the daemon's tuning is then added, and must not reach the server.
    const upRun = orch(["up", "chat", "--home", home], { env: { NODE_OPTIONS: undefined } })
    expect(upRun.stdout).toMatch(/started the daemon \(pid \d+\)/)
    expect(upRun.stdout).toMatch(/chat: HealthProbed ok 200/)
    expect(upRun.stdout).toMatch(/✓ chat: healthy \(pid \d+/)
    expect(upRun.code).toBe(0)
    expect((await request(port, "/health")).body).toBe('{"status":"ok"}')
    const [first] = servers(home)
    // The daemon's memory tuning is its own: the server gets the environment orch was run with.
    const environ = (pid: number) => fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0")
    expect(environ(daemonPid(home)!)).toEqual(expect.arrayContaining(["MALLOC_MMAP_THRESHOLD_=32768", "NODE_OPTIONS=--max-semi-space-size=4"]))
    expect(environ(first!.pid).filter((entry) => /^(MALLOC_MMAP_THRESHOLD_|NODE_OPTIONS|LLAMA_ORCH_DAEMON_ONLY)=/.test(entry))).toEqual([])

    expect(orch(["restart", "chat", "--home", home]).code).toBe(0)
    const [second] = servers(home)
    expect(second!.pid).not.toBe(first!.pid)
    expect(servers(home)).toHaveLength(1)

    const downRun = orch(["down", "chat", "--home", home])
    expect(downRun.code).toBe(0)
    expect(downRun.stdout).toMatch(/✓ chat: stopped/)
    expect(servers(home)).toEqual([])
    await expect(request(port, "/health")).rejects.toThrow()
    expect(types(home, "chat").map((event) => event.type).filter((type) => type !== "HealthProbed")).toEqual([
      "ConfigApplied", "StartRequested", "ProcessSpawned", "RestartRequested", "ProcessStopped", "ProcessSpawned", "StopRequested", "ProcessStopped"
    ])
    // Our own child: how it ended is known and recorded.
    expect(types(home, "chat").filter((event) => event.type === "ProcessStopped").map((event) => event.data)).toEqual([
      expect.objectContaining({ pid: first!.pid, how: "graceful", code: 0, signal: null }),
      expect.objectContaining({ pid: second!.pid, how: "graceful", code: 0, signal: null })
    ])
  })

  it("kills a server that ignores SIGTERM after stop_timeout, leaving no process of its group", async () => {
    const home = simHome()
    addSim(home, "stuck", await freePort(), ["--sim-ignore-sigterm"], { stop_timeout: "1s" })
    const up = orch(["up", "stuck", "--home", home])
    expect(up.code, up.stdout + up.stderr).toBe(0)
    const [server] = servers(home)
    expect(orch(["down", "stuck", "--home", home]).code).toBe(0)
    const stopped = types(home, "stuck").find((event) => event.type === "ProcessStopped")!
    expect(stopped.data).toMatchObject({ pid: server!.pid, how: "killed", code: null, signal: "SIGKILL" })
    expect(stopped.data["took_ms"]).toBeGreaterThanOrEqual(1_000)
    expect(() => process.kill(-server!.pid, 0)).toThrow()
    expect(servers(home)).toEqual([])
  })

  it("gives one server for ten `orch up` at once", async () => {
    const home = simHome()
    addSim(home, "solo", await freePort())
    const runs = await Promise.all(Array.from({ length: 10 }, () => orchAsync(["up", "solo", "--home", home])))
    expect(runs.map((run) => run.code)).toEqual(Array(10).fill(0))
    expect(servers(home)).toHaveLength(1)
    expect(count(home, "ProcessSpawned")).toBe(1)
    expect(count(home, "DaemonStarted")).toBe(1)
  })

  it.each([
    ["an unknown flag in args", ["--bogus"], /it exited with code 1 before it was ready: error: invalid argument: --bogus/],
    ["a server that crashes at once", ["--sim-crash-after-ms", "0", "--sim-crash-signal", "SIGABRT"], /it was killed by SIGABRT before it was ready/]
  ])("reports %s with the server's own words, a SpawnFailed and exit 1", async (_, args, reason) => {
    const home = simHome()
    addSim(home, "bad", await freePort(), args)
    const run = orch(["up", "bad", "--home", home])
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(reason)
    expect(hasStackTrace(run)).toBe(false)
    expect(types(home, "bad").find((event) => event.type === "SpawnFailed")?.data["reason"]).toMatch(reason)
  })

  it("retries a start that failed on a port held for a while, and runs the server once the port is free", async () => {
    const home = simHome()
    const holder = net.createServer()
    const port = await new Promise<number>((resolve) => holder.listen(0, "127.0.0.1", () => resolve((holder.address() as net.AddressInfo).port)))
    addSim(home, "late", port, [], { restart_policy: { initial_delay: "500ms", backoff_multiplier: 1 } })
    try {
      const run = orch(["up", "late", "--home", home])
      expect(run.code).toBe(1)
      expect(run.stdout).toMatch(new RegExp(`late: not started: port 127.0.0.1:${port} is in use by another process \\(the daemon tries again`))
      await waitFor(async () => (count(home, "RestartScheduled", "late") >= 2 ? true : undefined), 10_000)
    } finally {
      await new Promise((done) => holder.close(done))
    }
    await waitFor(async () => (orch(["health", "late", "--home", home, "--json"]).stdout.includes('"healthy"') ? true : undefined), 10_000)
    expect(servers(home)).toHaveLength(1)
    expect(types(home, "late").filter((event) => event.type === "RestartScheduled").map((event) => event.data["reason"])).toContain("failed_start")
  })

  it("refuses a config with a missing model or binary before recording anything", async () => {
    const home = simHome()
    addSim(home, "nomodel", await freePort(), [], { model: { path: "gone.gguf" } })
    addSim(home, "nobinary", await freePort(), [], { binary: "no-such-llama-server" })
    const run = orch(["up", "nomodel", "nobinary", "--home", home])
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/model file not found: .*gone\.gguf/)
    expect(run.stdout).toMatch(/"no-such-llama-server" is not on PATH/)
    expect(fs.existsSync(journalIn(home))).toBe(false)
  })

  it("records SpawnFailed when the daemon finds the port taken, the model gone or the binary missing", async () => {
    const home = simHome()
    const busy = await listen()
    const [a, b] = await freePorts(2)
    const config = (port: number, extra: Record<string, unknown>) => ({ model: { path: "tiny.gguf" }, server: { port }, binary: [process.execPath, SIM], ...extra })
    await withJournal(journalIn(home), Effect.flatMap(Journal, (journal) => journal.append([
      on("taken", { _tag: "ConfigApplied", config: config(busy, {}), hash: "1" }),
      on("taken", { _tag: "StartRequested", by: "cli" }),
      on("nomodel", { _tag: "ConfigApplied", config: config(a!, { model: { path: "gone.gguf" } }), hash: "2" }),
      on("nomodel", { _tag: "StartRequested", by: "cli" }),
      on("nobinary", { _tag: "ConfigApplied", config: config(b!, { binary: "no-such-llama-server" }), hash: "3" }),
      on("nobinary", { _tag: "StartRequested", by: "cli" })
    ])))
    expect(orch(["daemon", "start", "--home", home]).code).toBe(0)
    // The held port may be free at the next try: retried. A missing model or binary is not.
    const failures = await waitFor(async () => {
      const failed = new Map(types(home).filter((event) => event.type === "SpawnFailed").reverse().map((event) => [event.instance, event.data]))
      return failed.size === 3 && count(home, "RestartScheduled", "taken") > 0 ? failed : undefined
    }, 10_000)
    expect(Object.fromEntries(failures)).toEqual({
      nobinary: { reason: '"no-such-llama-server" is not on PATH', config_error: true },
      nomodel: { reason: `model file not found: ${path.join(home, "gone.gguf")}`, config_error: true },
      taken: { reason: `port 127.0.0.1:${busy} is in use by another process`, config_error: false }
    })
    expect(types(home, "taken").find((event) => event.type === "RestartScheduled")?.data).toMatchObject({ attempt: 1, reason: "failed_start" })
    expect(count(home, "RestartScheduled", "nomodel") + count(home, "RestartScheduled", "nobinary")).toBe(0)
    expect(servers(home)).toEqual([])
  })
})

describe("the daemon", () => {
  it("runs once per home: of five started at once, one runs and the others say so and exit 0", async () => {
    const home = simHome()
    const runs = await Promise.all(Array.from({ length: 5 }, () => orchAsync(["daemon", "start", "--home", home])))
    expect(runs.map((run) => run.code)).toEqual([0, 0, 0, 0, 0])
    const pid = daemonPid(home)
    expect(runs.filter((run) => run.stdout.includes("daemon started")).length).toBe(1)
    expect(runs.filter((run) => run.stdout.includes(`already running (pid ${pid})`)).length).toBe(4)
    const status = orch(["daemon", "status", "--home", home, "--json"])
    expect(JSON.parse(status.stdout)).toMatchObject({ running: true, pid })
    expect(orch(["daemon", "stop", "--home", home]).code).toBe(0)
    expect(orch(["daemon", "status", "--home", home]).code).toBe(3)
  })

  it("survives kill -9: servers keep answering, the next daemon adopts the same pids, no duplicates", async () => {
    const home = simHome()
    const [a, b] = await freePorts(2)
    addSim(home, "one", a!)
    addSim(home, "two", b!)
    expect(orch(["up", "one", "two", "--home", home]).code).toBe(0)
    const before = servers(home).sort((x, y) => x.pid - y.pid)
    process.kill(daemonPid(home)!, "SIGKILL")
    await waitFor(async () => (daemonPid(home) === undefined ? true : undefined))
    expect((await request(a!, "/health")).status).toBe(200)
    expect((await request(b!, "/health")).status).toBe(200)

    expect(orch(["up", "one", "two", "--home", home]).code).toBe(0)
    expect(servers(home).sort((x, y) => x.pid - y.pid)).toEqual(before)
    const adopted = types(home).filter((event) => event.type === "ProcessAdopted").map((event) => event.data["pid"]).sort()
    expect(adopted).toEqual(before.map((server) => server.pid).sort())
    expect(count(home, "ProcessSpawned")).toBe(2)
  })

  it("records ProcessLost for a server that died while no daemon ran", async () => {
    const home = simHome()
    addSim(home, "gone", await freePort())
    expect(orch(["up", "gone", "--home", home]).code).toBe(0)
    expect(orch(["daemon", "stop", "--home", home]).code).toBe(0)
    const [server] = servers(home)
    process.kill(server!.pid, "SIGKILL")
    await waitFor(async () => (servers(home).length === 0 ? true : undefined))
    expect(orch(["daemon", "start", "--home", home]).code).toBe(0)
    const lost = await waitFor(async () => types(home, "gone").find((event) => event.type === "ProcessLost"))
    expect(lost.data).toMatchObject({ pid: server!.pid })
    // A lost server is handled like an exit: the restart policy takes it from there.
    const scheduled = await waitFor(async () => types(home, "gone").find((event) => event.type === "RestartScheduled"))
    expect(scheduled.seq).toBeGreaterThan(lost.seq)
    expect(scheduled.data).toMatchObject({ attempt: 1, reason: "exited" })
  })

  it("adopts a server spawned but never journaled, found by its markers, and stops an unwanted one", async () => {
    const home = simHome()
    const [wantedPort, unwantedPort] = await freePorts(2)
    await withJournal(journalIn(home), Effect.flatMap(Journal, (journal) => journal.append([
      on("wanted", { _tag: "ConfigApplied", config: { model: { path: "tiny.gguf" }, server: { port: wantedPort }, binary: [process.execPath, SIM] }, hash: "w" }),
      on("wanted", { _tag: "StartRequested", by: "cli" })
    ])))
    // As if a daemon had spawned these and died before writing ProcessSpawned.
    const start = (name: string, port: number) => {
      const child = spawn(process.execPath, [SIM, "--port", String(port), "-m", TINY_MODEL, "--alias", name], {
        detached: true, stdio: "ignore", env: { ...process.env, LLAMA_ORCH_INSTANCE: name, LLAMA_ORCH_HOME: home }
      })
      child.unref()
      return child.pid!
    }
    const wanted = start("wanted", wantedPort!)
    const unwanted = start("unwanted", unwantedPort!)
    await waitFor(async () => (servers(home).length === 2 ? true : undefined))
    expect(orch(["daemon", "start", "--home", home]).code).toBe(0)
    await waitFor(async () => (servers(home).length === 1 && count(home, "ProcessAdopted") === 1 ? true : undefined), 10_000)
    expect(servers(home)).toEqual([{ pid: wanted, instance: "wanted" }])
    expect(types(home, "unwanted").find((event) => event.type === "ProcessStopped")?.data["pid"]).toBe(unwanted)
    expect(count(home, "ProcessSpawned")).toBe(0)
  })
})
