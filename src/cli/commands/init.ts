import * as path from "node:path"
import { Args, Command, Options } from "@effect/cli"
import { Console, Effect, Option } from "effect"
import { withJournal } from "../../app/journal.js"
import { findingsJson } from "../../app/json.js"
import { initInstance } from "../../config/init.js"
import { validateFile } from "../../config/validate.js"
import { suggestDevice } from "../../domain/devices.js"
import { Journal } from "../../journal/Journal.js"
import { instanceName } from "../names.js"
import { integerOption, nonEmpty, wholeNumber } from "../option-values.js"
import { homeFrom, homeOption, jsonOption } from "../options.js"
import { ok, printFindings } from "../view/findings.js"
import { printJson } from "../view/json.js"
import { paint } from "../view/palette.js"
import { formatTime } from "../view/time.js"

/** The device list `orch devices` recorded last, if any: a home without a journal has none. */
const recordedDevices = (home: string) =>
  withJournal(home, "read")(Effect.flatMap(Journal, (journal) => journal.readLast({ types: ["DevicesListed"] }, 1))).pipe(
    Effect.map(([last]) => (last?.event._tag === "DevicesListed" ? { at: last.at, devices: last.event.devices } : undefined)),
    Effect.orElseSucceed(() => undefined)
  )

/** Inside the home, keep the model path relative so the home can move; outside it, absolute. */
const modelPathFor = (home: string, model: string) => {
  const absolute = path.resolve(model)
  const relative = path.relative(home, absolute)
  return relative.startsWith("..") || path.isAbsolute(relative) ? absolute : relative
}

export const init = Command.make(
  "init",
  {
    name: Args.text({ name: "name" }).pipe(
      Args.withDescription("The instance name: lowercase letters, digits, - and _, at most 64 characters")
    ),
    profile: Options.choice("profile", ["cpu", "vulkan", "cuda"]).pipe(
      Options.withDefault("cpu" as const),
      Options.withDescription("The backend template; vulkan and cuda take device_id from the list `orch devices` recorded (default: cpu)")
    ),
    model: Options.text("model").pipe(Options.withPseudoName("PATH"), Options.withDescription("The GGUF model file (required)")),
    port: integerOption("port", "leave out --port to get a free one from 8080").pipe(
      Options.withPseudoName("PORT"),
      Options.optional,
      Options.withDescription("The port (default: the first free one from 8080 that no other instance uses)")
    ),
    home: homeOption,
    json: jsonOption
  },
  (options) =>
    Effect.gen(function* () {
      yield* instanceName(options.name)
      yield* nonEmpty("--model", options.model, "the GGUF file, for example --model models/qwen2.5-7b-q4_k_m.gguf")
      if (Option.isSome(options.port)) yield* wholeNumber("--port", options.port.value, { min: 1, max: 65535 }, "leave out --port to get a free one from 8080")
      const home = homeFrom(options.home)
      const gpu = options.profile === "cpu" ? undefined : options.profile
      const recorded = gpu === undefined ? undefined : yield* recordedDevices(home)
      const suggested = gpu === undefined || recorded === undefined ? undefined : suggestDevice(gpu, recorded.devices)
      const created = yield* initInstance({
        home,
        name: options.name,
        backend: options.profile,
        model: modelPathFor(home, options.model),
        ...Option.match(options.port, { onNone: () => ({}), onSome: (port) => ({ port }) }),
        ...(suggested === undefined ? {} : { deviceId: suggested.device_id })
      })
      const checked = yield* validateFile(home, created.file, options.name)
      if (options.json) {
        const device = suggested === undefined ? null : { device_id: suggested.device_id, ...suggested.device }
        return yield* printJson({ name: options.name, file: created.file, port: created.port, config: created.config, device, warnings: findingsJson(checked.findings) })
      }
      yield* ok(`created ${options.name} (${options.profile}, 127.0.0.1:${created.port}) in ${created.file}`)
      if (gpu !== undefined) {
        if (suggested !== undefined) {
          const { device } = suggested
          yield* Console.log(`  device_id ${suggested.device_id}: ${device.name}, ${device.description} (${device.free_mib} MiB free), the ${gpu} device with the most memory free in \`orch devices\` (${formatTime(recorded!.at)})`)
        } else if (recorded !== undefined) {
          yield* Console.log(paint.yellow(`  device_id 0 is a guess: \`orch devices\` (${formatTime(recorded.at)}) found no ${gpu} device; is this llama-server built with ${gpu}?`))
        } else {
          yield* Console.log(paint.dim("  device_id 0: `orch devices` lists the GPUs llama-server finds; `orch init` then picks the one with the most memory free"))
        }
      }
      if (checked.findings.length > 0) {
        yield* Console.log(paint.yellow("It was written, but it will not run as it is:"))
        yield* printFindings(checked.findings, false)
      }
      yield* Console.log(paint.dim("Edit it to taste, then check it with: orch config lint"))
    })
).pipe(Command.withDescription("Create instances/NAME/config.json from a profile (never overwrites)"))
