import { Either, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { Event, type EventOf } from "../../src/domain/events.js"
import { fromRow, toColumns } from "../../src/journal/codec.js"

type Probed = EventOf<"HealthProbed">

const probes: ReadonlyArray<Probed> = [
  { _tag: "HealthProbed", result: "ok", status: 200, latency_ms: 3, path: "/health" },
  { _tag: "HealthProbed", result: "loading", status: 503, latency_ms: 12, path: "/v1/health", reason: "Loading model" },
  { _tag: "HealthProbed", result: "timeout", status: null, latency_ms: 2_000, path: "/health", reason: "no answer in 2000 ms" }
]

describe("toColumns", () => {
  it.each(probes)("writes a probe ($result) exactly as Schema encodes it, and reads it back whole", (event) => {
    const { _tag, ...encoded } = Schema.encodeSync(Event)(event)
    const columns = toColumns({ instance: "chat", event, at: 1_000 })
    expect(columns).toEqual({ at: 1_000, instance: "chat", type: _tag, v: 1, data: JSON.stringify(encoded) })
    expect(fromRow({ seq: 1, ...columns, at: 1_000 })).toEqual(Either.right({ seq: 1, at: 1_000, instance: "chat", event }))
  })
})
