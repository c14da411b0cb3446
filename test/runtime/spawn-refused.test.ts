import { execFileSync, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { Effect, Either } from "effect"
import { describe, expect, it } from "vitest"
import { decodeConfig } from "../../src/domain/lint.js"
import { Journal } from "../../src/journal/Journal.js"
import { spawnServer } from "../../src/runtime/spawn.js"
import { count, daemonPid, simHome, types } from "../support/daemon.js"
import { runnableConfig, tempHome, writeModel } from "../support/home.js"
import { journalIn, on, withJournal } from "../support/journal.js"
import { freePort, freePorts } from "../support/net.js"
import { ORCH, hasStackTrace } from "../support/orch.js"
import { SIM, waitFor } from "../support/sim.js"

/** Node throws at spawn, before any process exists, for what it or the OS cannot pass on. */
describe("spawnServer, when spawn throws", () => {
  const refusal = async (change: Record<string, unknown>) => {
    const home = tempHome()
    writeModel(home)
    // Past decoding, which refuses these: as a config journaled by an older orch would come.
    const config = { ...Either.getOrThrow(decodeConfig(runnableConfig(await freePort(), { binary: process.execPath }))), ...change }
    return Either.flip(await Effect.runPromise(Effect.either(spawnServer(home, "a", config))))
  }

  it.each([
    ["a NUL in args", { args: ["a\u0000b"] }, "an argument or environment variable holds a NUL character"],
    ["a NUL in env", { env: { TOKEN: "sec\u0000ret" } }, "an argument or environment variable holds a NUL character"],
    ["an argument of 200 KB", { args: ["x".repeat(200_000)] }, "the command line and environment are too large for the OS (E2BIG)"]
  ])("turns %s into SpawnRefused, a config error, not an exception", async (_, change, why) => {
    expect(await refusal(change)).toEqual(Either.right(expect.objectContaining({
      _tag: "SpawnRefused",
      reason: `cannot start ${process.execPath}: ${why}`,
      configError: true
    })))
  })

  it("keeps the refused value out of the reason: it may be a secret", async () => {
    expect(JSON.stringify(await refusal({ env: { TOKEN: "hunter2\u0000" } }))).not.toContain("hunter2")
  })
})

describe("spawnServer, with a FIFO for a log file", () => {
  // Opening it would wait for a reader, in a synchronous open: the daemon itself would stop.
  it("refuses at once, and the machine may change: not a config error", async () => {
    const home = tempHome()
    writeModel(home)
    const stdout = path.join(home, "instances", "a", "logs", "stdout.log")
    fs.mkdirSync(path.dirname(stdout), { recursive: true })
    execFileSync("mkfifo", [stdout])
    const config = Either.getOrThrow(decodeConfig(runnableConfig(await freePort(), { binary: process.execPath })))
    expect(Either.flip(await Effect.runPromise(Effect.either(spawnServer(home, "a", config))))).toEqual(
      Either.right(expect.objectContaining({ _tag: "SpawnRefused", reason: `the log file ${stdout} is a FIFO, not a file`, configError: false }))
    )
  }, 5_000)
})

describe("the daemon, when the OS refuses a spawn", () => {
  it("records one SpawnFailed with config_error and a reason, retries none, and runs on", async () => {
    const home = simHome()
    const [big, nul] = await freePorts(2)
    const sim = (port: number, args: ReadonlyArray<string>) => ({ model: { path: "tiny.gguf" }, server: { port }, binary: [process.execPath, SIM], args })
    // 960 KB of args: within a config's 1 MiB, so it decodes. With the stack limit at 4 MiB the OS
    // takes 1 MiB in all, and the daemon's own 100 KB variable tips it over: E2BIG at spawn.
    const padded = Array.from({ length: 8 }, (_, index) => `--pad${index}=${"x".repeat(120_000)}`)
    await withJournal(journalIn(home), Effect.flatMap(Journal, (journal) => journal.append([
      on("big", { _tag: "ConfigApplied", config: sim(big!, padded), hash: "1" }),
      on("big", { _tag: "StartRequested", by: "cli" }),
      // Journaled before orch refused NUL characters: the daemon must not loop on it either.
      on("nul", { _tag: "ConfigApplied", config: sim(nul!, ["a\u0000b"]), hash: "2" }),
      on("nul", { _tag: "StartRequested", by: "cli" })
    ])))
    const start = spawnSync("sh", ["-c", 'ulimit -s 4096 && exec "$@"', "sh", process.execPath, ORCH, "daemon", "start", "--home", home], {
      env: { ...process.env, NO_COLOR: "1", PADDING: "p".repeat(100_000) },
      encoding: "utf8",
      timeout: 15_000
    })
    expect(start.status).toBe(0)
    const failures = () => new Map(types(home).filter((event) => event.type === "SpawnFailed").map((event) => [event.instance, event.data]))
    await waitFor(async () => (failures().size === 2 ? true : undefined), 10_000)
    expect(Object.fromEntries(failures())).toEqual({
      big: { reason: `cannot start ${process.execPath}: the command line and environment are too large for the OS (E2BIG)`, config_error: true },
      nul: { reason: expect.any(String), config_error: true }
    })
    // A crash loop would spawn again every second or so.
    await new Promise((resolve) => setTimeout(resolve, 3_000))
    expect(count(home, "SpawnFailed", "big")).toBe(1)
    expect(count(home, "SpawnFailed", "nul")).toBe(1)
    expect(count(home, "RestartScheduled") + count(home, "ProcessSpawned")).toBe(0)
    expect(daemonPid(home)).toBeDefined()
    const log = fs.readFileSync(path.join(home, "journal", "daemon.log"), "utf8")
    expect(hasStackTrace({ code: 0, stdout: log, stderr: "" })).toBe(false)
  })
})
