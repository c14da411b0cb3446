import { Console, Effect } from "effect"
import { CliLive, runCli } from "../../src/cli/run.js"

export interface InProcessRun {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

const text = (args: ReadonlyArray<unknown>) => `${args.map(String).join(" ")}\n`

/**
 * `orch ARGS` run in this process, with what it prints captured: the same program as the built
 * CLI (src/main.ts runs runCli too), for a property test's thousands of runs where a process
 * each would take minutes. A defect escapes as a rejection, failing the test.
 */
export const orchInProcess = async (args: ReadonlyArray<string>): Promise<InProcessRun> => {
  let stdout = ""
  let stderr = ""
  const captured = (console: Console.Console): Console.Console => ({
    ...console,
    log: (...parts) => Effect.sync(() => void (stdout += text(parts))),
    error: (...parts) => Effect.sync(() => void (stderr += text(parts))),
    unsafe: {
      ...console.unsafe,
      log: (...parts) => void (stdout += text(parts)),
      error: (...parts) => void (stderr += text(parts))
    }
  })
  const run = Console.consoleWith((console) => Effect.withConsole(runCli(["node", "orch", ...args]), captured(console)))
  const code = await Effect.runPromise(run.pipe(Effect.provide(CliLive)))
  return { code, stdout, stderr }
}
