import { Command } from "@effect/cli"
import { stopped } from "../../domain/outcome.js"
import { lifecycleOptions, requestAndWait } from "./lifecycle.js"

export const down = Command.make("down", lifecycleOptions, (options) => requestAndWait(options, "Down", () => stopped)).pipe(
  Command.withDescription("Stop instances (SIGTERM, then SIGKILL after stop_timeout) and wait until they are stopped")
)
