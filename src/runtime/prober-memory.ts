import { Clock, Effect, Layer } from "effect"
import type { InstanceConfig } from "../domain/config.js"
import type { EventOf } from "../domain/events.js"
import { MemoryMachine } from "./processes-memory.js"
import { Prober } from "./prober.js"

type Probed = EventOf<"HealthProbed">

/**
 * Probes that answer from the fake servers of a MemoryMachine, as their scripts' `health` says,
 * on the Clock: no server of the instance running is a refused connection; a hung one answers
 * nothing until the probe's timeout.
 */
export const ProberMemory = Layer.effect(
  Prober,
  Effect.map(MemoryMachine, (machine) =>
    Prober.of({
      make: (name: string, config: InstanceConfig) =>
        Effect.succeed(
          Effect.gen(function* () {
            const { path, timeout } = config.healthcheck
            const server = (yield* machine.processes).filter((process) => process.status === undefined && process.marker?.instance === name).at(-1)
            if (server === undefined) return { _tag: "HealthProbed", result: "unreachable", status: null, latency_ms: 0, path, reason: "connection refused" } satisfies Probed
            const health = server.script.health ?? {}
            const age = (yield* Clock.currentTimeMillis) - server.startedAt
            if (health.hangAfterMs !== undefined && age >= health.hangAfterMs) {
              yield* Effect.sleep(timeout)
              return { _tag: "HealthProbed", result: "timeout", status: null, latency_ms: timeout, path, reason: `no answer in ${timeout} ms` } satisfies Probed
            }
            if (age < (health.loadMs ?? 0)) return { _tag: "HealthProbed", result: "loading", status: 503, latency_ms: 0, path } satisfies Probed
            return { _tag: "HealthProbed", result: "ok", status: 200, latency_ms: 0, path } satisfies Probed
          })
        )
    })
  )
)
