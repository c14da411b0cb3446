import { Context, Deferred, Effect, Layer } from "effect"
import { DaemonState } from "./daemon-state.js"
import { LogUpkeepLive } from "./log-upkeep.js"
import { ProbersLive } from "./probers.js"
import { RecoveryLive } from "./recovery.js"
import { ServersLive } from "./servers.js"
import { SupervisorLive } from "./supervisor.js"

/**
 * The daemon's parts, merged once. Recovery is built before the supervisor, which reconciles only
 * once what recovery found is recorded; everything the parts share is built before them, and
 * released after them, so that DaemonStopped is the daemon's last record. `doors`: what serves
 * others from the daemon's state (the HTTP listener), given by the caller, since doors depend on
 * the runtime and not the other way round.
 */
export const DaemonLive = <E>(home: string, version: string, doors: Layer.Layer<never, E, DaemonState> = Layer.empty) =>
  Layer.mergeAll(SupervisorLive, LogUpkeepLive, doors).pipe(
    Layer.provide(RecoveryLive),
    Layer.provideMerge(ServersLive),
    Layer.provideMerge(ProbersLive),
    Layer.provideMerge(DaemonState.layer(home, version))
  )

/**
 * The single actor (DESIGN.md §2): it alone spawns, stops and watches servers. It folds the
 * journal's tail and reconciles what is asked for with what runs; everything it sees or does
 * becomes an event. Its servers outlive it; the next daemon adopts them. It runs until its tail
 * fails or it is interrupted.
 */
export const runDaemon = <E>(home: string, version: string, doors?: Layer.Layer<never, E, DaemonState>) =>
  // Its own scope, inside the journal's: DaemonStopped must be appended before the journal closes.
  Effect.scoped(Effect.flatMap(Layer.build(DaemonLive(home, version, doors)), (parts) => Deferred.await(Context.get(parts, DaemonState).ended)))
