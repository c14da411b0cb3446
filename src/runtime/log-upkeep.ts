import { Cause, Clock, Effect, Layer, Schedule } from "effect"
import { logFiles } from "../config/home.js"
import { DaemonState } from "./daemon-state.js"
import { LOG_CHECK_MS, upkeep } from "./log-rotation.js"

const make = Effect.gen(function* () {
  const { home, tracked, folded, record } = yield* DaemonState
  const markedSizes = new Map<string, number | undefined>()
  const look = Effect.suspend(() => Effect.forEach([...tracked.keys()], (name) => {
    const config = folded.state.instances[name]?.decoded_config ?? null
    if (config === null) return Effect.void
    return Effect.forEach(["stdout", "stderr"] as const, (stream) =>
      Effect.gen(function* () {
        const file = logFiles(home, name)[stream]
        const looked = upkeep(file, config.logs, yield* Clock.currentTimeMillis, markedSizes.get(file))
        markedSizes.set(file, looked.size)
        if (looked.rotated !== undefined) yield* record(name, { _tag: "LogRotated", stream, size: looked.rotated })
      }).pipe(Effect.catchAllCause((cause) => Effect.logWarning(`could not look after its ${stream} log: ${Cause.pretty(cause)}`))),
      { discard: true }).pipe(Effect.annotateLogs({ instance: name }))
  }, { discard: true }))
  yield* Effect.forkScoped(Effect.repeat(look, Schedule.spaced(LOG_CHECK_MS)))
})

/** The servers' logs, rotated by size and marked with their sizes while their servers run. */
export const LogUpkeepLive = Layer.scopedDiscard(make)
