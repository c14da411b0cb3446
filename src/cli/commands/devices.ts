import { Command, Options } from "@effect/cli"
import { Console, Effect, Option } from "effect"
import { devicesJson, recordedDevices } from "../../app/devices.js"
import { withJournal } from "../../app/journal.js"
import { nonEmpty } from "../option-values.js"
import { homeFrom, homeOption, jsonOption } from "../options.js"
import { printJson } from "../view/json.js"
import { paint } from "../view/palette.js"
import { renderTable } from "../view/table.js"
import { formatTime } from "../view/time.js"

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
        const found = yield* recordedDevices(home, options.refresh, Option.getOrUndefined(options.binary))
        const { listed, at, cached } = found
        if (options.json) return yield* printJson(devicesJson(found))
        yield* Console.log(paint.dim(`${listed.binary.join(" ")} --list-devices, ${formatTime(at)}${cached ? " (recorded; --refresh asks again)" : ""}`))
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
