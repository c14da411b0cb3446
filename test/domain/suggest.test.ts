import { Option } from "effect"
import { describe, expect, it } from "vitest"
import { didYouMean } from "../../src/domain/suggest.js"

const keys = ["path", "context_size", "batch_size", "threads"]

describe("didYouMean", () => {
  it.each([
    ["contextSize", "context_size"],
    ["context-size", "context_size"],
    ["CONTEXT_SIZE", "context_size"],
    ["contex_size", "context_size"],
    ["thread", "threads"],
    ["pth", "path"],
    ["batchsize", "batch_size"]
  ])("%s → %s", (word, expected) => {
    expect(didYouMean(word, keys)).toEqual(Option.some(expected))
  })

  it.each(["gpu", "model", "zzzzzzzz", "x"])("%s has no close match", (word) => {
    expect(didYouMean(word, keys)).toEqual(Option.none())
  })
})
