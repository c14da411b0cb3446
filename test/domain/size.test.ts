import { describe, expect, it } from "vitest"
import { humanSize } from "../../src/domain/size.js"

describe("sizes for people", () => {
  it.each([
    [0, "0 B"],
    [512, "512 B"],
    [1636, "1.6 KB"],
    [50 * 1024 ** 2, "50 MB"],
    [3.5 * 1024 ** 3, "3.5 GB"]
  ])("%i bytes is %s", (bytes, shown) => {
    expect(humanSize(bytes)).toBe(shown)
  })
})
