import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { livenessTiming, readinessTiming, startupTiming } from "../../src/domain/kube-probes.js"
import { decodeConfig } from "../../src/domain/lint.js"

const healthcheck = (written: Record<string, unknown>) =>
  Either.getOrThrow(decodeConfig({ model: { path: "m.gguf" }, server: { port: 8080 }, healthcheck: written })).healthcheck

/** Kubernetes stores probe fields as int32; periods, timeouts and thresholds must be at least 1. */
const INT32_MAX = 2 ** 31 - 1
const withinLimits = (timing: { periodSeconds: number; timeoutSeconds: number; failureThreshold: number }) =>
  Object.values(timing).every((value) => Number.isInteger(value) && value >= 1 && value <= INT32_MAX)

// start_period, interval, timeout, retries as written; then the startup probe's period and threshold.
const TABLE: ReadonlyArray<readonly [string, string, string, number, number, number]> = [
  ["0s", "10s", "5s", 3, 10, 1],
  ["1s", "10s", "5s", 3, 10, 1],
  ["30s", "10s", "5s", 3, 10, 3],
  ["31s", "10s", "5s", 3, 10, 4],
  ["5m", "10s", "5s", 3, 10, 30],
  ["5m", "7s", "5s", 3, 7, 43],
  ["90s", "500ms", "100ms", 1, 1, 90],
  ["20m", "15s", "3s", 4, 15, 80],
  ["2h", "1m", "30s", 10, 60, 120],
  ["7d", "100ms", "10m", 1000, 1, 604_800],
  ["7d", "1h", "10m", 1, 3600, 168],
  ["1500ms", "1s", "1s", 2, 1, 2]
]

describe("probe timings", () => {
  it.each(TABLE)("start_period %s, interval %s, timeout %s, retries %i", (start, interval, timeout, retries, period, threshold) => {
    const written = healthcheck({ start_period: start, interval, timeout, retries })
    const startup = startupTiming(written)
    expect([startup.periodSeconds, startup.failureThreshold]).toEqual([period, threshold])
    // The startup probe must outlast start_period, and by less than one period.
    expect(startup.failureThreshold * startup.periodSeconds * 1000).toBeGreaterThanOrEqual(written.start_period)
    if (written.start_period > 0) expect((startup.failureThreshold - 1) * startup.periodSeconds * 1000).toBeLessThan(written.start_period)
    const liveness = livenessTiming(written)
    expect(liveness).toEqual({ periodSeconds: period, timeoutSeconds: Math.max(1, Math.ceil(written.timeout / 1000)), failureThreshold: retries })
    expect(readinessTiming(written)).toEqual({ ...liveness, failureThreshold: 1 })
    for (const timing of [startup, liveness, readinessTiming(written)]) expect(withinLimits(timing)).toBe(true)
  })
})
