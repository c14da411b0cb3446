import { Command } from "@effect/cli"
import { healthySince } from "../../domain/outcome.js"
import { lifecycleOptions, requestAndWait } from "./lifecycle.js"

export const restart = Command.make("restart", lifecycleOptions, (options) =>
  requestAndWait(options, "Restart", (requestedAt) => healthySince(requestedAt, true))
).pipe(Command.withDescription("Stop and start instances with the config they were started with, and wait"))
