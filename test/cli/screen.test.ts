import { describe, expect, it } from "vitest"
import { cutLine, frame } from "../../src/cli/view/screen.js"

describe("the full-screen frame", () => {
  it.each([
    { line: "hello world", width: 5, cut: "hello\u001b[0m" },
    { line: "short", width: 10, cut: "short" },
    { line: "\u001b[32mgreen\u001b[39m text", width: 3, cut: "\u001b[32mgre\u001b[0m" },
    { line: "\u001b[32mab\u001b[39m", width: 2, cut: "\u001b[32mab\u001b[39m" }
  ])("cuts $line to $width visible characters, colour codes kept", ({ line, width, cut }) => {
    expect(cutLine(line, width)).toBe(cut)
  })

  it("rewrites lines in place from the top, clears each line's rest and what is below, never more lines than the screen", () => {
    expect(frame(["one", "two", "three"], 80, 2)).toBe("\u001b[Hone\u001b[0m\u001b[K\r\ntwo\u001b[0m\u001b[K\u001b[J")
  })
})
