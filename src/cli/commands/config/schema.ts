import { Command, Options } from "@effect/cli"
import { configJsonSchema, settingsJsonSchema } from "../../../domain/json-schema.js"
import { printJson } from "../../view/json.js"

const settingsOption = Options.boolean("settings").pipe(
  Options.withDescription("Print the JSON Schema of the home's orch.json instead")
)

export const configSchema = Command.make("schema", { settings: settingsOption }, (options) =>
  printJson(options.settings ? settingsJsonSchema() : configJsonSchema())
).pipe(
  Command.withDescription(
    "Print the JSON Schema of configs, for editors (save as instances/config.schema.json); with --settings, that of orch.json"
  )
)
