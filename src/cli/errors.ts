import { Data } from "effect"

/** The command has said what went wrong already; end with this exit code. */
export class ExitCode extends Data.TaggedError("ExitCode")<{ readonly code: number }> {}
