import { Options } from "@effect/cli"
import { Option } from "effect"
import { resolveHome } from "../config/home.js"

export const homeOption = Options.text("home").pipe(
  // An empty --home (an unset shell variable) would quietly mean the current directory. Checked
  // while parsing, as every command takes --home and none may touch a home before this holds.
  Options.filterMap(
    (dir) => (dir.trim() === "" ? Option.none() : Option.some(dir)),
    "error: --home: must not be empty\nhint: name the home folder, or leave --home out to use $LLAMA_ORCH_HOME, else the current directory"
  ),
  Options.withPseudoName("DIR"),
  Options.optional,
  Options.withDescription(
    "The home folder: configs in DIR/instances, the journal in DIR/journal (default: $LLAMA_ORCH_HOME, else the current directory)"
  )
)

export const jsonOption = Options.boolean("json").pipe(Options.withDescription("Print JSON instead of text (default: off)"))

export const homeFrom = (option: Option.Option<string>) => resolveHome(Option.getOrUndefined(option))
