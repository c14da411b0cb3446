import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { parseJson } from "../../src/config/read.js"

describe("parseJson", () => {
  it("parses valid JSON", () => {
    expect(parseJson('{"a": [1, 2]}')).toEqual(Either.right({ a: [1, 2] }))
  })

  it.each([
    ['{\n  "a": 1,\n}', 3, 1, "expected a key in double quotes"],
    ['{\n  "a": 1\n  "b": 2\n}', 3, 3, 'expected ","'],
    ['{\n  "a": tru\n}', 2, 8, "unexpected character"],
    ['{\n  "a": 1', 2, 9, 'expected "}"'],
    ['{\n  // a comment\n  "a": 1\n}', 2, 3, "comments are not allowed in JSON"],
    ['{"a": [1, 2,]}', 1, 13, "expected a value"],
    ["", 1, 1, "expected a value"]
  ])("locates the error in %j at line %d, column %d", (text, line, column, words) => {
    const parsed = parseJson(text)
    expect(Either.isLeft(parsed)).toBe(true)
    if (Either.isLeft(parsed)) {
      expect(parsed.left.problem).toBe(`malformed JSON at line ${line}, column ${column}: ${words}`)
      expect(parsed.left.field).toBe("")
    }
  })
})

describe("parseJson, nesting", () => {
  const tooDeep = (text: string) => Either.match(parseJson(text), { onLeft: (finding) => finding, onRight: () => undefined })

  it("refuses 100000 levels of [ before anything recursive runs, and says where", () => {
    expect(tooDeep("[".repeat(100_000))).toEqual({
      field: "",
      problem: "nested too deeply (more than 64 levels): a config is a few levels deep",
      hint: "look at line 1, column 65, where it passes 64 levels of [ and {"
    })
    expect(tooDeep(`{\n "args": ${"[".repeat(100_000)}${"]".repeat(100_000)}\n}`)?.hint).toBe("look at line 2, column 73, where it passes 64 levels of [ and {")
  })

  it("takes 64 levels, and brackets inside strings do not count", () => {
    expect(Either.isRight(parseJson(`${"[".repeat(64)}${"]".repeat(64)}`))).toBe(true)
    expect(tooDeep(`${"{\"a\":".repeat(65)}1${"}".repeat(65)}`)?.problem).toMatch(/^nested too deeply/)
    expect(parseJson(JSON.stringify({ args: ["[".repeat(1000), "\\\"[{"] }))).toEqual(Either.right({ args: ["[".repeat(1000), "\\\"[{"] }))
  })
})
