import * as path from "node:path"
import { Args, Command, Options } from "@effect/cli"
import { Console, Effect, Option } from "effect"
import { initInstance } from "../config/init.js"
import { validateFile } from "../config/validate.js"
import { findingsJson, ok, printFindings } from "./findings.js"
import { homeFrom, homeOption, jsonOption } from "./options.js"
import { paint, printJson } from "./output.js"

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
      Options.withDescription("The backend template (default: cpu)")
    ),
    model: Options.text("model").pipe(Options.withPseudoName("PATH"), Options.withDescription("The GGUF model file (required)")),
    port: Options.integer("port").pipe(
      Options.optional,
      Options.withDescription("The port (default: the first free one from 8080 that no other instance uses)")
    ),
    home: homeOption,
    json: jsonOption
  },
  (options) =>
    Effect.gen(function* () {
      const home = homeFrom(options.home)
      const created = yield* initInstance({
        home,
        name: options.name,
        backend: options.profile,
        model: modelPathFor(home, options.model),
        ...Option.match(options.port, { onNone: () => ({}), onSome: (port) => ({ port }) })
      })
      const checked = yield* validateFile(home, created.file, options.name)
      if (options.json) {
        return yield* printJson({ name: options.name, file: created.file, port: created.port, config: created.config, warnings: findingsJson(checked.findings) })
      }
      yield* ok(`created ${options.name} (${options.profile}, 127.0.0.1:${created.port}) in ${created.file}`)
      if (checked.findings.length > 0) {
        yield* Console.log(paint.yellow("It was written, but it will not run as it is:"))
        yield* printFindings(checked.findings, false)
      }
      yield* Console.log(paint.dim("Edit it to taste, then check it with: orch config lint"))
    })
).pipe(Command.withDescription("Create instances/NAME/config.json from a profile (never overwrites)"))
