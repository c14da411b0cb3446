import { Command } from "@effect/cli"
import { autostartCommand } from "./autostart.js"
import { run } from "./run.js"
import { start } from "./start.js"
import { status } from "./status.js"
import { stop } from "./stop.js"

export const daemon = Command.make("daemon").pipe(
  Command.withDescription("Run, start, stop or inspect the supervising daemon"),
  Command.withSubcommands([run, start, stop, status, autostartCommand])
)
