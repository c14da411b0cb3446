import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { decodeAutostart, duplicateNames, planStarts } from "../../src/domain/autostart.js"

const plan = (raw: unknown) => planStarts(Either.getOrThrow(decodeAutostart(raw)))

describe("the autostart plan", () => {
  it.each([
    { given: { instances: [] }, starts: [] },
    { given: { instances: ["a", "b"] }, starts: [{ name: "a", delay_ms: 0 }, { name: "b", delay_ms: 0 }] },
    { given: { instances: ["a", "b", "c"], delay: "2s" }, starts: [{ name: "a", delay_ms: 0 }, { name: "b", delay_ms: 2_000 }, { name: "c", delay_ms: 2_000 }] },
    {
      given: { instances: ["a", { name: "b", order: 2 }, { name: "c", order: 1, delay: "5s" }, "d"], delay: 1 },
      starts: [{ name: "c", delay_ms: 5_000 }, { name: "b", delay_ms: 1_000 }, { name: "a", delay_ms: 1_000 }, { name: "d", delay_ms: 1_000 }]
    },
    { given: { instances: [{ name: "a", delay: "10s" }] }, starts: [{ name: "a", delay_ms: 10_000 }] }
  ])("$given", ({ given, starts }) => {
    expect(plan(given)).toEqual(starts)
  })

  it("finds names listed twice", () => {
    expect(duplicateNames(Either.getOrThrow(decodeAutostart({ instances: ["a", { name: "a" }, "b"] })))).toEqual(["a"])
  })
})
