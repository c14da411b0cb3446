import { CliConfig, Command, ValidationError } from "@effect/cli"
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Layer } from "effect"
import { VERSION } from "./cli/version.js"
import { orch } from "./cli/app.js"
import { isUserError, userMessage } from "./cli/messages.js"
import { paint, withPlainConsoleIfNoColor } from "./cli/output.js"

const cli = Command.run(orch, { name: "orch", version: VERSION })

const MainLive = Layer.mergeAll(NodeContext.layer, CliConfig.layer({ showBuiltIns: false }))

const exitWith = (code: number) => Effect.sync(() => void (process.exitCode = code))

const program = Effect.suspend(() => cli(process.argv)).pipe(
  Effect.catchIf(ValidationError.isValidationError, () => exitWith(1)),
  Effect.catchTag("ExitCode", (error) => exitWith(error.code)),
  Effect.catchIf(isUserError, (error) => report(userMessage(error))),
  withPlainConsoleIfNoColor,
  Effect.provide(MainLive)
)

function report(message: { readonly message: string; readonly hint: string }) {
  return Console.error(`${paint.red("error:")} ${message.message}\n${paint.dim(`hint: ${message.hint}`)}`).pipe(
    Effect.zipRight(exitWith(1))
  )
}

NodeRuntime.runMain(program)
