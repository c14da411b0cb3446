import { spawnSync } from "node:child_process"
import { Clock, Effect, Either } from "effect"
import { resolveCommand } from "../config/checks.js"
import { discoverInstances } from "../config/discover.js"
import { configFile } from "../config/home.js"
import { readJsonFile } from "../config/read.js"
import { binaryArgv } from "../domain/argv.js"
import { parseDevices } from "../domain/devices.js"
import type { EventOf } from "../domain/events.js"
import { decodeConfig } from "../domain/lint.js"
import { Journal } from "../journal/Journal.js"
import { BadOption } from "./errors.js"
import type { DevicesJson } from "./shapes.js"

type Listed = EventOf<"DevicesListed">

/** The binary to ask: --binary, else the first instance's, else llama-server on PATH. */
const binaryOf = (home: string, given: string | undefined) =>
  Effect.gen(function* () {
    if (given !== undefined) return [given]
    for (const name of (yield* discoverInstances(home)).names) {
      const config = Either.flatMap(yield* readJsonFile(configFile(home, name)), (raw) => Either.mapLeft(decodeConfig(raw), () => undefined))
      if (Either.isRight(config)) return binaryArgv(config.right)
    }
    return ["llama-server"]
  })

/** Runs `<binary> --list-devices`: what it printed, parsed leniently. */
const listDevices = (home: string, binary: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const command = yield* Effect.promise(() => resolveCommand(home, binary[0]!, process.env))
    if (command === undefined) {
      return yield* new BadOption({ option: "--binary", problem: `"${binary[0]}" is not an executable file, nor a command on PATH`, hint: "install llama.cpp, or name the server with --binary PATH" })
    }
    const run = spawnSync(command, [...binary.slice(1), "--list-devices"], { cwd: home, encoding: "utf8", timeout: 30_000 })
    if (run.error !== undefined || run.status !== 0) {
      const said = run.error?.message ?? (run.stderr.trim().split("\n").at(-1) || `exit ${run.status}`)
      return yield* new BadOption({ option: "--binary", problem: `${binary.join(" ")} --list-devices failed: ${said}`, hint: "check that it is llama-server, or name another with --binary PATH" })
    }
    return { _tag: "DevicesListed", binary: [...binary], ...parseDevices(run.stdout) } satisfies Listed
  })

/**
 * The devices as llama-server sees them: the list recorded last, or (with `refresh`, a `binary`
 * given, or none recorded) asked of the binary now and recorded.
 */
export const recordedDevices = (home: string, refresh: boolean, binary?: string) =>
  Effect.gen(function* () {
    const journal = yield* Journal
    const [cached] = refresh || binary !== undefined ? [] : yield* journal.readLast({ types: ["DevicesListed"] }, 1)
    if (cached !== undefined && cached.event._tag === "DevicesListed") return { listed: cached.event, at: cached.at, cached: true }
    const listed = yield* listDevices(home, yield* binaryOf(home, binary))
    const at = yield* Clock.currentTimeMillis
    yield* journal.append([{ instance: null, event: listed, at }])
    return { listed, at, cached: false }
  })

/** What `orch devices --json` and the API show of them. */
export const devicesJson = ({ listed, at }: { readonly listed: Listed; readonly at: number }): DevicesJson => ({ at, binary: listed.binary, devices: listed.devices, unparsed: listed.unparsed })
