import { Context, Effect, FiberMap, Layer } from "effect"
import type { EventOf } from "../domain/events.js"
import { DaemonState, type Tracked } from "./daemon-state.js"
import { probeLoop } from "./probe-loop.js"
import { Prober } from "./prober.js"

const make = Effect.gen(function* () {
  const daemon = yield* DaemonState
  const prober = yield* Prober
  const fibers = yield* FiberMap.make<string>()
  return {
    /** Probes a server for as long as it runs, in place of whatever probed its instance before. */
    start: Effect.fn("Probers.start")(function* (name: string, process: Tracked) {
      const config = daemon.folded.state.instances[name]?.decoded_config ?? null
      if (config === null) return
      const record = (event: EventOf<"HealthProbed">) => {
        if (event.result === "ok") process.ready = true
        return daemon.recordProbe(name, event)
      }
      yield* FiberMap.run(fibers, name, Effect.scoped(Effect.flatMap(prober.make(name, config), (probe) => probeLoop(probe, record, config.healthcheck))))
    }),
    stop: (name: string) => FiberMap.remove(fibers, name)
  }
})

/** The daemon's probers: one fiber per running server, replaced on restart, removed when it ends. */
export class Probers extends Context.Tag("llama-orch/Probers")<Probers, Effect.Effect.Success<typeof make>>() {}

export const ProbersLive = Layer.scoped(Probers, make)
