import { Effect, Layer, Schedule } from "effect"
import { currentState } from "../journal/projection.js"
import { DaemonState } from "./daemon-state.js"
import { Processes } from "./processes.js"
import { Servers } from "./servers.js"

/**
 * When the daemon looks again for marked servers that no one tracks: a child caught between fork
 * and exec when the last daemon died is invisible to the first look until it execs, which takes
 * it milliseconds, seconds on a machine under load. Each look waits 1 s and then this schedule's
 * doubling gap after the one before: at 1, 3, 6, 11, 20 and 37 s after the start, then no more
 * (a look reads every process's environment, which every 2 s stretched probes: bench/RESULTS.md).
 * Before every spawn the daemon looks too.
 */
const ORPHAN_LOOKS = Schedule.exponential("1 second").pipe(Schedule.intersect(Schedule.recurs(5)))

const make = Effect.gen(function* () {
  const daemon = yield* DaemonState
  const servers = yield* Servers
  const processes = yield* Processes
  const { busy, folded } = daemon

  // What the journal says ran when the last daemon died: adopted if it still runs, else lost.
  for (const instance of Object.values(folded.state.instances)) {
    if (instance.pid === null || instance.start_time === null) continue
    if (yield* processes.isAlive({ pid: instance.pid, startTime: instance.start_time })) yield* servers.adopt(instance.name, instance.pid, instance.start_time)
    else {
      yield* processes.crashPoint("losing")
      yield* daemon.decideNow({ _tag: "Found", instance: instance.name, pid: instance.pid, start_time: instance.start_time, alive: false })
    }
  }
  // Spawned but never journaled (the daemon died in between): found by their markers.
  for (const marked of yield* servers.untracked) yield* servers.takeOver(marked)

  // Reconcile only on a state that includes what recovery recorded, or it would spawn twice.
  folded.state = yield* currentState

  // A server whose markers the first look missed (it had not exec'd yet).
  const sweep = daemon.onePass.withPermits(1)(Effect.flatMap(servers.untracked, (found) =>
    Effect.forEach(found, (marked) =>
      Effect.gen(function* () {
        busy.set(marked.instance, Number.POSITIVE_INFINITY)
        // Until its record comes back through the tail, as for every other action.
        busy.set(marked.instance, yield* servers.takeOver(marked))
      }).pipe(Effect.tapErrorCause((cause) => Effect.sync(() => busy.delete(marked.instance)).pipe(Effect.zipRight(Effect.logError(cause))))),
    { discard: true })
  ))
  yield* Effect.forkScoped(Effect.repeat(Effect.delay(sweep, "1 second"), ORPHAN_LOOKS))
})

/**
 * Crash survival (DESIGN.md §2): takes over what the last daemon left, before the supervisor's
 * first pass, then looks again for servers that were still starting.
 */
export const RecoveryLive = Layer.scopedDiscard(make)
