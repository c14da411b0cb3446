import { Command } from "@effect/cli"
import { configLint } from "./lint.js"
import { configSchema } from "./schema.js"
import { configValidate } from "./validate.js"

export const config = Command.make("config").pipe(
  Command.withDescription("Check instance configs and print their JSON Schema"),
  Command.withSubcommands([configValidate, configLint, configSchema])
)
