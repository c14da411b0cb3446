import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { healthAllJson, healthJson, withHistory } from "../app/health.js"
import { DaemonState } from "../runtime/daemon-state.js"
import { Api } from "./api.js"
import { NotFound } from "./errors.js"

/** `orch health` from the daemon's fold: the same values `--json` prints, so the CLI can draw its text from them. */
export const HealthLive = HttpApiBuilder.group(Api, "health", (handlers) =>
  Effect.gen(function* () {
    const { home, folded, journal } = yield* DaemonState
    return handlers
      .handle("instances", () => Effect.sync(() => healthAllJson(folded.state)))
      .handle("instance", ({ path: { name }, urlParams }) =>
        Effect.gen(function* () {
          const instance = withHistory(folded.state, name)
          if (instance === undefined) return yield* new NotFound({ message: `no instance "${name}" has any history in ${home}`, hint: "GET /api/v1/health/instances lists them" })
          // The fold keeps the newest probes only; the journal has them all, as `orch health` reads them.
          const recent = yield* Effect.orDie(journal.readLast({ instance: name, types: ["HealthProbed"] }, urlParams.last ?? 10))
          return healthJson(instance, recent)
        })
      )
  })
)
