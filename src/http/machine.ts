import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { diagnose } from "../app/doctor.js"
import { devicesJson, recordedDevices } from "../app/devices.js"
import { Journal } from "../journal/Journal.js"
import { DaemonState } from "../runtime/daemon-state.js"
import { Api } from "./api.js"
import { NotFound } from "./errors.js"

export const MachineLive = HttpApiBuilder.group(Api, "machine", (handlers) =>
  Effect.gen(function* () {
    const { home, journal } = yield* DaemonState
    return handlers
      .handle("devices", () =>
        recordedDevices(home, false).pipe(
          Effect.map(devicesJson),
          Effect.provideService(Journal, journal),
          Effect.catchTag("BadOption", (error) => new NotFound({ message: error.problem, hint: error.hint })),
          Effect.orDie
        )
      )
      .handle("doctor", () => diagnose(home))
  })
)

export const DaemonHealthLive = HttpApiBuilder.group(Api, "daemon", (handlers) =>
  Effect.gen(function* () {
    const daemon = yield* DaemonState
    return handlers.handle("health", () => Effect.sync(() => ({ status: "ok" as const, version: daemon.version, pid: process.pid, seq: daemon.folded.state.seq })))
  })
)
