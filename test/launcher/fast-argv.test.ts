import { describe, expect, it } from "vitest"
import { parseFastPs } from "../../src/launcher/fast-argv.js"

describe("which `orch` runs take the fast path of ps", () => {
  it.each([
    { args: ["ps"], fast: { home: undefined, json: false } },
    { args: ["ps", "--json"], fast: { home: undefined, json: true } },
    { args: ["ps", "--home", "/h", "--json"], fast: { home: "/h", json: true } },
    { args: ["ps", "--home=/h"], fast: { home: "/h", json: false } },
    { args: ["ps", "--help"], fast: undefined },
    { args: ["ps", "--home"], fast: undefined },
    { args: ["ps", "--home", "/a", "--home", "/b"], fast: undefined },
    { args: ["ps", "extra"], fast: undefined },
    { args: ["up", "chat"], fast: undefined },
    { args: [], fast: undefined }
  ])("$args", ({ args, fast }) => {
    expect(parseFastPs(args)).toEqual(fast)
  })
})
