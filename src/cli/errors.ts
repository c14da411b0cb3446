import { Data } from "effect"

/** The command has said what went wrong already; end with this exit code. */
export class ExitCode extends Data.TaggedError("ExitCode")<{ readonly code: number }> {}

/** A command-line value that parsed as text but means nothing here. */
export class BadOption extends Data.TaggedError("BadOption")<{ readonly option: string; readonly problem: string; readonly hint: string }> {}
