import { Command } from "@effect/cli"
import { config } from "./config.js"
import { init } from "./init.js"

export const orch = Command.make("orch").pipe(
  Command.withDescription("Supervise llama.cpp llama-server instances"),
  Command.withSubcommands([init, config])
)
