import { HelpDoc, Options, ValidationError } from "@effect/cli"
import { Either, Option } from "effect"
import { userMessage } from "../app/messages.js"
import { findHome, resolveHome } from "../config/home.js"

export const homeOption = Options.text("home").pipe(
  Options.withPseudoName("DIR"),
  Options.optional,
  // Checked while parsing, as every command takes --home and none may touch a home before it holds
  // (not empty, not a file); LLAMA_ORCH_HOME too, which stands in for a --home left out.
  Options.mapEffect((flag) =>
    Either.match(findHome(Option.getOrUndefined(flag)), {
      onLeft: (error) => {
        const said = userMessage(error)
        return Either.left(ValidationError.invalidValue(HelpDoc.p(`error: ${said.message}\nhint: ${said.hint}`)))
      },
      onRight: () => Either.right(flag)
    })
  ),
  Options.withDescription(
    "The home folder: configs in DIR/instances, the journal in DIR/journal (default: $LLAMA_ORCH_HOME, else the current directory)"
  )
)

export const jsonOption = Options.boolean("json").pipe(Options.withDescription("Print JSON instead of text (default: off)"))

export const homeFrom = (option: Option.Option<string>) => resolveHome(Option.getOrUndefined(option))
