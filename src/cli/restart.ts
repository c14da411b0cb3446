import { Command } from "@effect/cli"
import { lifecycleOptions, healthySince } from "./lifecycle-options.js"
import { requestAndWait } from "./request-command.js"

export const restart = Command.make("restart", lifecycleOptions, (options) =>
  requestAndWait(options, "RestartRequested", (requestedAt) => healthySince(requestedAt, true))
).pipe(Command.withDescription("Stop and start instances with the config they were started with, and wait"))
