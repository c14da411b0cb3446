import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { EVENT_TYPES, EVENT_VERSIONS } from "../../src/domain/events.js"
import { upcast } from "../../src/domain/upcast.js"

describe("upcast", () => {
  it("lifts a v1 StartRequested, which had no `by`, to v2 from the CLI", () => {
    expect(upcast("StartRequested", 1, {})).toEqual(Either.right({ type: "StartRequested", data: { by: "cli" } }))
  })

  it("lifts a v1 SpawnFailed, which was never retried, to v2 as a configuration error", () => {
    expect(upcast("SpawnFailed", 1, { reason: "port in use" })).toEqual(Either.right({ type: "SpawnFailed", data: { reason: "port in use", config_error: true } }))
  })

  it("lifts a v1 JournalCompacted, from before request records were compacted, to v2 with none of them deleted", () => {
    expect(upcast("JournalCompacted", 1, { base_seq: 9, deleted: 3, older_than: 5 })).toEqual(
      Either.right({ type: "JournalCompacted", data: { base_seq: 9, deleted: 3, deleted_requests: 0, older_than: 5 } })
    )
  })

  it("leaves current versions as they are", () => {
    for (const type of EVENT_TYPES) {
      expect(upcast(type, EVENT_VERSIONS[type], { x: 1 })).toEqual(Either.right({ type, data: { x: 1 } }))
    }
  })

  it("refuses unknown types and newer versions", () => {
    expect(upcast("ModelSwapped", 1, {})).toEqual(Either.left({ _tag: "UnknownType", type: "ModelSwapped" }))
    expect(upcast("toString", 1, {})).toEqual(Either.left({ _tag: "UnknownType", type: "toString" }))
    expect(upcast("HealthProbed", 2, {})).toEqual(Either.left({ _tag: "NewerVersion", type: "HealthProbed", v: 2, known: 1 }))
  })

  it("says when an old version has no upcaster", () => {
    expect(upcast("HealthProbed", 0, {})).toEqual(Either.left({ _tag: "NoUpcaster", type: "HealthProbed", v: 0 }))
  })
})
