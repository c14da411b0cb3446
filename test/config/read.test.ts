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
