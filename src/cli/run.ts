import { CliConfig, Command, ValidationError } from "@effect/cli"
import { NodeContext } from "@effect/platform-node"
import { Console, Effect, Layer } from "effect"
import { isUserError, userMessage } from "../app/messages.js"
import { EXIT_CANNOT_START } from "../domain/service.js"
import { ProberLive } from "../runtime/prober.js"
import { ProcessesLive } from "../runtime/processes-live.js"
import { orch } from "./commands/orch.js"
import { VERSION } from "./version.js"
import { paint, withPlainConsoleIfNoColor } from "./view/palette.js"

const cli = Command.run(orch, { name: "orch", version: VERSION })

/** Every service the commands use, live: wired once, here. */
export const CliLive = Layer.mergeAll(NodeContext.layer, CliConfig.layer({ showBuiltIns: false }), ProcessesLive, ProberLive)

const report = (message: { readonly message: string; readonly hint: string }, code: number) =>
  Console.error(`${paint.red("error:")} ${message.message}\n${paint.dim(`hint: ${message.hint}`)}`).pipe(Effect.as(code))

/**
 * `orch daemon run` is what service managers run, and restart when it fails. What stops it with a
 * message (a bad --home, a damaged journal, a home it cannot write) needs a fix, not a restart:
 * its own exit status tells them so (domain/service.ts). Any other command ends such with 1.
 */
const refusalCode = (argv: ReadonlyArray<string>) => (argv[2] === "daemon" && argv[3] === "run" ? EXIT_CANNOT_START : 1)

/**
 * One run of `orch` on an argv (node's, with the program's path first): its exit code. Every user
 * mistake ends here as a message and 1 (`daemon run`: EXIT_CANNOT_START); what escapes is a defect of ours.
 */
export const runCli = (argv: ReadonlyArray<string>) =>
  Effect.suspend(() => cli(argv)).pipe(
    Effect.as(0),
    Effect.catchIf(ValidationError.isValidationError, () => Effect.succeed(refusalCode(argv))),
    Effect.catchTag("ExitCode", (error) => Effect.succeed(error.code)),
    Effect.catchIf(isUserError, (error) => report(userMessage(error), refusalCode(argv))),
    withPlainConsoleIfNoColor
  )
