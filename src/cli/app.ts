import { Command } from "@effect/cli"
import { config } from "./config.js"
import { events } from "./events.js"
import { init } from "./init.js"
import { journal } from "./journal.js"
import { replay } from "./replay.js"

export const orch = Command.make("orch").pipe(
  Command.withDescription("Supervise llama.cpp llama-server instances"),
  Command.withSubcommands([init, config, events, replay, journal])
)
