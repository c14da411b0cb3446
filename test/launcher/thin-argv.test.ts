import { describe, expect, it } from "vitest"
import { parseThin } from "../../src/launcher/thin-argv.js"

describe("which `orch` runs the thin launcher takes", () => {
  it.each([
    { args: ["ps"], thin: { command: "ps", home: undefined, json: false } },
    { args: ["ps", "--json"], thin: { command: "ps", home: undefined, json: true } },
    { args: ["ps", "--home", "/h", "--json"], thin: { command: "ps", home: "/h", json: true } },
    { args: ["ps", "--home=/h"], thin: { command: "ps", home: "/h", json: false } },
    { args: ["ps", "--help"], thin: undefined },
    { args: ["ps", "--home"], thin: undefined },
    { args: ["ps", "--home", "/a", "--home", "/b"], thin: undefined },
    { args: ["ps", "--json", "--json"], thin: undefined },
    { args: ["ps", "extra"], thin: undefined },
    { args: ["describe", "chat", "--json"], thin: { command: "describe", home: undefined, json: true, name: "chat" } },
    { args: ["describe"], thin: undefined },
    { args: ["describe", "a", "b"], thin: undefined },
    { args: ["describe", "Bad/Name"], thin: undefined },
    { args: ["health", "--all"], thin: { command: "health", home: undefined, json: false, name: undefined, last: 10 } },
    { args: ["health", "chat", "--last", "3", "--json"], thin: { command: "health", home: undefined, json: true, name: "chat", last: 3 } },
    { args: ["health", "chat", "--last=0"], thin: { command: "health", home: undefined, json: false, name: "chat", last: 0 } },
    { args: ["health", "chat", "--all"], thin: undefined },
    { args: ["health"], thin: undefined },
    { args: ["health", "chat", "--last", "-1"], thin: undefined },
    { args: ["health", "chat", "--last", "2.5"], thin: undefined },
    { args: ["up", "chat", "coder", "--no-wait"], thin: { command: "up", home: undefined, names: ["chat", "coder"] } },
    { args: ["down", "--all", "--no-wait", "--home", "/h"], thin: { command: "down", home: "/h", names: [] } },
    { args: ["restart", "chat", "--no-wait"], thin: { command: "restart", home: undefined, names: ["chat"] } },
    { args: ["up", "chat"], thin: undefined },
    { args: ["up", "--no-wait"], thin: undefined },
    { args: ["up", "chat", "--all", "--no-wait"], thin: undefined },
    { args: ["up", "chat", "--no-wait", "--timeout", "5"], thin: undefined },
    { args: ["events"], thin: undefined },
    { args: [], thin: undefined }
  ])("$args", ({ args, thin }) => {
    expect(parseThin(args)).toEqual(thin)
  })
})
