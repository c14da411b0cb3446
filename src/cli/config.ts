import { Command } from "@effect/cli"
import { configLint } from "./config-lint.js"
import { configSchema } from "./config-schema.js"
import { configValidate } from "./config-validate.js"

export const config = Command.make("config").pipe(
  Command.withDescription("Check instance configs and print their JSON Schema"),
  Command.withSubcommands([configValidate, configLint, configSchema])
)
