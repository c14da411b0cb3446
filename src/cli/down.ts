import { Command } from "@effect/cli"
import { lifecycleOptions, stopped } from "./lifecycle-options.js"
import { requestAndWait } from "./request-command.js"

export const down = Command.make("down", lifecycleOptions, (options) => requestAndWait(options, "StopRequested", () => stopped)).pipe(
  Command.withDescription("Stop instances (SIGTERM, then SIGKILL after stop_timeout) and wait until they are stopped")
)
