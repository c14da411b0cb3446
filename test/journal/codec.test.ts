import { Either, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { Event, type EventOf, spelledOut } from "../../src/domain/events.js"
import { fromRawRowTrusted, fromRow, toColumns } from "../../src/journal/codec.js"

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

const served: ReadonlyArray<EventOf<"RequestServed">> = [
  { _tag: "RequestServed", endpoint: "/v1/chat/completions", status: 200, streamed: true, duration_ms: 812, queued_ms: 0, ttft_ms: 40, prompt_tokens: 12, completion_tokens: 30, tokens_per_second: 41.5 },
  { _tag: "RequestServed", endpoint: "/v1/embeddings", status: 0, streamed: false, duration_ms: 3, queued_ms: 2, ttft_ms: null, prompt_tokens: null, completion_tokens: null, tokens_per_second: null, error: "the client left while it waited" }
]

describe("toColumns of a request record", () => {
  it.each(served)("writes one (status $status) exactly as Schema encodes it, and reads it back whole", (event) => {
    const { _tag, ...encoded } = Schema.encodeSync(Event)(event)
    const columns = toColumns({ instance: "chat", event, at: 1_000 })
    expect(columns).toEqual({ at: 1_000, instance: "chat", type: _tag, v: 1, data: JSON.stringify(encoded) })
    expect(fromRow({ seq: 1, ...columns, at: 1_000 })).toEqual(Either.right({ seq: 1, at: 1_000, instance: "chat", event }))
  })
})

describe("fromRawRowTrusted", () => {
  const raw = (type: string, data: unknown) => [7, 1_000, "chat", type, 1, JSON.stringify(data)] as const
  const spawnedData = { pid: 42, start_time: "1", argv: ["llama-server"], stdout: "o", stderr: "e" }

  it("folds a whole row without the full decode, as the full decode would", () => {
    const row = raw("ProcessSpawned", spawnedData)
    expect(fromRawRowTrusted(row)).toEqual(fromRow({ seq: 7, at: 1_000, instance: "chat", type: "ProcessSpawned", v: 1, data: row[5] }))
  })

  it.each([
    ["a field of the wrong kind", { ...spawnedData, pid: "x" }, 'pid: expected number, got "x"'],
    ["a field missing", { ...spawnedData, argv: undefined }, "argv is missing"],
    ["null for a number", { ...spawnedData, pid: null }, "pid: expected number, got null"]
  ])("sends %s through the full decode, which names it", (_, data, problem) => {
    expect(fromRawRowTrusted(raw("ProcessSpawned", data))).toEqual(Either.left(expect.objectContaining({ seq: 7, type: "ProcessSpawned", problem })))
  })
})

describe("spelledOut", () => {
  const whole = (event: Probed) =>
    event.reason === undefined
      ? { result: event.result, status: event.status, latency_ms: event.latency_ms, path: event.path }
      : { result: event.result, status: event.status, latency_ms: event.latency_ms, path: event.path, reason: event.reason }
  const withoutReason = (event: Probed) => ({ result: event.result, status: event.status, latency_ms: event.latency_ms, path: event.path })
  const withMore = (event: Probed) => ({ ...withoutReason(event), reason: "", extra: 1 })

  it("passes a builder that writes every field of the event, and fails to compile on one that leaves one out or adds one", () => {
    expect(spelledOut<"HealthProbed">()(whole)).toBe(whole)
    // @ts-expect-error: `reason` is missing, as a new field of HealthProbed would be
    spelledOut<"HealthProbed">()(withoutReason)
    // @ts-expect-error: `extra` is not a field of HealthProbed
    spelledOut<"HealthProbed">()(withMore)
  })
})
