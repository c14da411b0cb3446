import { NodeRuntime } from "@effect/platform-node"
import { Effect } from "effect"
import { CliLive, runCli } from "./cli/run.js"

NodeRuntime.runMain(
  runCli(process.argv).pipe(
    Effect.flatMap((code) => Effect.sync(() => void (process.exitCode = code))),
    Effect.provide(CliLive)
  )
)
