import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { checkName, suggestName } from "../../src/domain/name.js"

describe("suggestName", () => {
  it.each([
    ["UPPER", "upper"],
    ["a b", "a-b"],
    [".hidden", "hidden"],
    ["a".repeat(200), "a".repeat(64)],
    ["Café Model!", "cafe-model"],
    ["--x--", "x"],
    ["日本", "instance"],
    ["", "instance"]
  ])("%j → %j", (name, expected) => {
    expect(suggestName(name)).toBe(expected)
    expect(Either.isRight(checkName(expected))).toBe(true)
  })

  it("never suggests a name that is taken", () => {
    expect(suggestName("UPPER", new Set(["upper"]))).toBe("upper-2")
    expect(suggestName("UPPER", new Set(["upper", "upper-2"]))).toBe("upper-3")
    const long = suggestName("B".repeat(100), new Set(["b".repeat(64)]))
    expect(long).toBe(`${"b".repeat(62)}-2`)
    expect(Either.isRight(checkName(long))).toBe(true)
  })
})

describe("checkName", () => {
  it("shows a name with control characters escaped: a folder name may hold any of them", () => {
    expect(Either.getLeft(checkName("a\nb\u001b[31m"))).toEqual(Either.getLeft(checkName("a\nb\u001b[31m")))
    const reason = Either.getOrThrow(Either.flip(checkName("a\nb\u001b[31m")))
    expect(reason).toContain(String.raw`"a\nb\u001b[31m"`)
    expect(reason).not.toMatch(/[\n\u001b]/)
  })
})
