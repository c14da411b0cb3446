import { spawnSync } from "node:child_process"
import { Command, Options } from "@effect/cli"
import { Clock, Console, Effect, Either, Option } from "effect"
import { BadOption } from "../../app/errors.js"
import { withJournal } from "../../app/journal.js"
import { resolveCommand } from "../../config/checks.js"
import { discoverInstances } from "../../config/discover.js"
import { configFile } from "../../config/home.js"
import { readJsonFile } from "../../config/read.js"
import { binaryArgv } from "../../domain/argv.js"
import { parseDevices } from "../../domain/devices.js"
import type { EventOf } from "../../domain/events.js"
import { decodeConfig } from "../../domain/lint.js"
import { Journal } from "../../journal/Journal.js"
import { nonEmpty } from "../option-values.js"
import { homeFrom, homeOption, jsonOption } from "../options.js"
import { printJson } from "../view/json.js"
import { paint } from "../view/palette.js"
import { renderTable } from "../view/table.js"
import { formatTime } from "../view/time.js"

type Listed = EventOf<"DevicesListed">

/** The binary to ask: --binary, else the first instance's, else llama-server on PATH. */
const binaryOf = (home: string, given: Option.Option<string>) =>
  Effect.gen(function* () {
    if (Option.isSome(given)) return [given.value]
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

export const devices = Command.make(
  "devices",
  {
    refresh: Options.boolean("refresh").pipe(Options.withDescription("Ask the binary again instead of showing the list recorded last (default: off)")),
    binary: Options.text("binary").pipe(Options.withPseudoName("CMD"), Options.optional, Options.withDescription("The llama-server to ask (default: the first instance's binary, else llama-server on PATH)")),
    home: homeOption,
    json: jsonOption
  },
  (options) =>
    Effect.gen(function* () {
      if (Option.isSome(options.binary)) yield* nonEmpty("--binary", options.binary.value, "name the server, for example --binary /usr/local/bin/llama-server, or leave --binary out")
      const home = homeFrom(options.home)
      yield* withJournal(home, "write")(Effect.gen(function* () {
        const journal = yield* Journal
        const [cached] = options.refresh || Option.isSome(options.binary) ? [] : yield* journal.readLast({ types: ["DevicesListed"] }, 1)
        let listed: Listed
        let at: number
        if (cached !== undefined && cached.event._tag === "DevicesListed") {
          listed = cached.event
          at = cached.at
        } else {
          listed = yield* listDevices(home, yield* binaryOf(home, options.binary))
          at = yield* Clock.currentTimeMillis
          yield* journal.append([{ instance: null, event: listed, at }])
        }
        if (options.json) return yield* printJson({ at, binary: listed.binary, devices: listed.devices, unparsed: listed.unparsed })
        yield* Console.log(paint.dim(`${listed.binary.join(" ")} --list-devices, ${formatTime(at)}${cached === undefined ? "" : " (recorded; --refresh asks again)"}`))
        yield* Console.log(
          listed.devices.length === 0
            ? "No GPU devices: this build has no GPU backend, or it finds no GPU. Instances run on the CPU (gpu.backend: cpu)."
            : renderTable(
                [{ header: "name" }, { header: "description" }, { header: "total MiB" }, { header: "free MiB" }],
                listed.devices.map((device) => [device.name, device.description, String(device.total_mib), String(device.free_mib)])
              )
        )
        if (listed.unparsed.length > 0) yield* Console.log(paint.dim(`lines not understood, kept as they were:\n${listed.unparsed.map((line) => `  ${line}`).join("\n")}`))
      }))
    })
).pipe(Command.withDescription("GPU devices as llama-server sees them (--list-devices): name, description, total and free MiB; recorded in the journal"))
