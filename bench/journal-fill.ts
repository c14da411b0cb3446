/** Journals of a given size for the benches: mostly probes, with 20 instances' lifecycle events between them. */
import { Effect } from "effect"
import type { Event, NewEvent } from "../src/domain/events.js"
import { Journal, JournalLive } from "../src/journal/Journal.js"

export const run = <A, E>(file: string, effect: Effect.Effect<A, E, Journal>) => Effect.runPromise(Effect.scoped(Effect.provide(effect, JournalLive(file))))

export const INSTANCES = 20
export const instanceName = (i: number) => `model-${i % INSTANCES}`

export const probe = (i: number): Event => ({ _tag: "HealthProbed", result: i % 50 === 0 ? "timeout" : "ok", status: i % 50 === 0 ? null : 200, latency_ms: i % 17, path: "/health" })
/** Mostly probes, with the lifecycle events of 20 instances between them. */
export const mixed = (i: number): NewEvent => {
  const instance = instanceName(i)
  if (i % 97 === 0) return { instance, event: { _tag: "ProcessSpawned", pid: 1000 + i, start_time: String(i), argv: ["llama-server", "--port", "8080"], stdout: "o", stderr: "e" } }
  if (i % 89 === 0) return { instance, event: { _tag: "ProcessExited", pid: 1000 + i, code: null, signal: "SIGABRT", uptime_ms: 5_000 } }
  if (i % 83 === 0) return { instance, event: { _tag: "RestartScheduled", attempt: 1, delay_ms: 1_000, due_at: i, reason: "exited" } }
  if (i % 79 === 0) return { instance, event: { _tag: "StartRequested", by: "cli" } }
  return { instance, event: probe(i) }
}

export const fill = (file: string, count: number, from = 0) =>
  run(file, Effect.gen(function* () {
    const journal = yield* Journal
    for (let i = from; i < from + count; i += 10_000) {
      yield* journal.append(Array.from({ length: Math.min(10_000, from + count - i) }, (_, k) => mixed(i + k)))
    }
  }))

