import { Command } from "@effect/cli"
import { journalCheck } from "./check.js"
import { journalCompact } from "./compact.js"

export const journal = Command.make("journal").pipe(
  Command.withDescription("Check and compact the event journal"),
  Command.withSubcommands([journalCheck, journalCompact])
)
