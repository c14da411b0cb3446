import { Data } from "effect"

/** A value given to a door (a command-line option, say) that parsed as text but means nothing here. */
export class BadOption extends Data.TaggedError("BadOption")<{ readonly option: string; readonly problem: string; readonly hint: string }> {}
