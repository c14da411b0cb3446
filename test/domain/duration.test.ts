import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { formatDuration, parseDuration } from "../../src/domain/duration.js"
import { formatSize, parseSize } from "../../src/domain/size.js"

describe("parseDuration", () => {
  it.each([
    [90, 90_000],
    [0, 0],
    [1.5, 1_500],
    ["90", 90_000],
    ["90s", 90_000],
    ["5m", 300_000],
    ["1h", 3_600_000],
    ["1h30m", 5_400_000],
    ["500ms", 500],
    ["2d", 172_800_000],
    [" 10s ", 10_000],
    ["1.5m", 90_000]
  ] as const)("%j is %d ms", (input, ms) => {
    expect(parseDuration(input)).toEqual(Either.right(ms))
  })

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY, "", "5x", "m5", "5 m", "-5s", "1h-30m", "ten"])("%j is refused", (input) => {
    expect(Either.isLeft(parseDuration(input))).toBe(true)
  })

  it.each([
    [0, "0s"],
    [500, "500ms"],
    [90_000, "90s"],
    [300_000, "5m"],
    [3_600_000, "1h"],
    [1_500, "1500ms"]
  ] as const)("formats %d ms as %s, which parses back", (ms, text) => {
    expect(formatDuration(ms)).toBe(text)
    expect(parseDuration(text)).toEqual(Either.right(ms))
  })
})

describe("parseSize", () => {
  it.each([
    [1024, 1024],
    ["50MB", 50 * 1024 ** 2],
    ["50M", 50 * 1024 ** 2],
    ["50MiB", 50 * 1024 ** 2],
    ["10k", 10_240],
    ["1GB", 1024 ** 3],
    ["512", 512],
    ["512B", 512],
    ["1.5KB", 1_536]
  ] as const)("%j is %d bytes", (input, bytes) => {
    expect(parseSize(input)).toEqual(Either.right(bytes))
  })

  it.each([0, -5, 1.5, "", "5TB", "MB", "five MB"])("%j is refused", (input) => {
    expect(Either.isLeft(parseSize(input))).toBe(true)
  })

  it("formats sizes in the largest whole unit", () => {
    expect([formatSize(50 * 1024 ** 2), formatSize(1024 ** 3), formatSize(1_536), formatSize(100)]).toEqual(["50MB", "1GB", "1536B", "100B"])
  })
})
