import { Command } from "@effect/cli"
import { configJsonSchema } from "../../../domain/json-schema.js"
import { printJson } from "../../view/json.js"

export const configSchema = Command.make("schema", {}, () => printJson(configJsonSchema())).pipe(
  Command.withDescription(
    "Print the JSON Schema of configs, for editors (save as instances/config.schema.json)"
  )
)
