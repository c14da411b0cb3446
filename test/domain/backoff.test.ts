import { describe, expect, it } from "vitest"
import { type RestartPolicy, backoffDelay } from "../../src/domain/backoff.js"

const policy = (patch: Partial<RestartPolicy> = {}): RestartPolicy => ({
  enabled: true,
  max_retries: 10,
  backoff_multiplier: 2,
  initial_delay: 1_000,
  max_delay: 300_000,
  reset_after: 600_000,
  ...patch
})

describe("backoffDelay", () => {
  it("doubles from the initial delay and stops at the cap", () => {
    expect(Array.from({ length: 11 }, (_, i) => backoffDelay(policy(), i + 1))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000, 300_000
    ])
  })

  it.each([
    [{ backoff_multiplier: 1 }, [1_000, 1_000, 1_000]],
    [{ backoff_multiplier: 1.5, initial_delay: 2_000 }, [2_000, 3_000, 4_500]],
    [{ initial_delay: 5_000, max_delay: 7_000 }, [5_000, 7_000, 7_000]],
    [{ initial_delay: 0 }, [0, 0, 0]]
  ] as const)("%j", (patch, delays) => {
    expect([1, 2, 3].map((attempt) => backoffDelay(policy(patch), attempt))).toEqual(delays)
  })

  it("never overflows, however many attempts", () => {
    expect(backoffDelay(policy(), 10_000)).toBe(300_000)
  })
})
