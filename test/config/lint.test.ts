import * as fs from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { discoverInstances } from "../../src/config/discover.js"
import { lintHome, validateFile } from "../../src/config/validate.js"
import { runnableConfig, tempHome, writeConfig, writeModel } from "../support/home.js"
import { freePort, freePorts, listen } from "../support/net.js"

describe("discoverInstances", () => {
  it("finds instance folders with a config, and reports folders that cannot be instances", async () => {
    const home = tempHome()
    writeConfig(home, "b", {})
    writeConfig(home, "a", {})
    fs.mkdirSync(path.join(home, "instances", "empty"))
    fs.mkdirSync(path.join(home, "instances", "Bad Name"))
    fs.mkdirSync(path.join(home, "instances", ".hidden"))
    fs.writeFileSync(path.join(home, "instances", "config.schema.json"), "{}")
    const found = await Effect.runPromise(discoverInstances(home))
    expect(found.names).toEqual(["a", "b"])
    // A hidden folder is no exception: it is reported, so that an instance hidden by mistake is not simply missing.
    expect(found.findings.map((finding) => [finding.instance, finding.problem])).toEqual([
      [".hidden", '".hidden" is not a valid instance name: use lowercase letters, digits, "-" and "_", starting with a letter or digit'],
      ["Bad Name", '"Bad Name" is not a valid instance name: use lowercase letters, digits, "-" and "_", starting with a letter or digit'],
      ["empty", "the folder has no config.json"]
    ])
  })

  it("finds nothing in a home without an instances folder", async () => {
    expect(await Effect.runPromise(discoverInstances(tempHome()))).toEqual({ names: [], findings: [] })
  })
})

describe("lintHome", () => {
  it("reports every problem of every instance at once", async () => {
    const home = tempHome()
    writeModel(home)
    fs.writeFileSync(path.join(home, "fake.gguf"), "not a model")
    const busy = await listen()
    const [free, twin, other] = (await freePorts(3)) as [number, number, number]
    writeConfig(home, "good", runnableConfig(free))
    writeConfig(home, "typo", { model: { path: "model.gguf", contextSize: 4096 }, server: { port: 0 }, binary: "node" })
    writeConfig(home, "broken-json", '{\n  "model": { "path": "model.gguf" },\n  "server": { "port": 8080, }\n}')
    writeConfig(home, "fake-model", runnableConfig(other, { model: { path: "fake.gguf" } }))
    writeConfig(home, "busy", runnableConfig(busy))
    writeConfig(home, "twin-a", runnableConfig(twin, { binary: "no-such-binary-here" }))
    writeConfig(home, "twin-b", runnableConfig(twin))
    fs.mkdirSync(path.join(home, "instances", "UPPER"))

    const linted = await Effect.runPromise(lintHome(home))
    const summary = linted.findings.map((finding) => `${finding.instance} ${finding.field}: ${finding.problem}`)
    expect(summary).toEqual([
      'UPPER : "UPPER" is not a valid instance name: use lowercase letters, digits, "-" and "_", starting with a letter or digit',
      "broken-json : malformed JSON at line 3, column 29: expected a key in double quotes",
      `busy server.port: 127.0.0.1:${busy} is in use by another process`,
      `fake-model model.path: ${path.join(home, "fake.gguf")} is not a GGUF model (it does not start with "GGUF")`,
      `twin-a binary: "no-such-binary-here" is not on PATH`,
      `twin-a server.port: 127.0.0.1:${twin} is also used by twin-b`,
      `twin-b server.port: 127.0.0.1:${twin} is also used by twin-a`,
      'typo model.contextSize: unknown key "contextSize"',
      "typo server.port: must be a whole number from 1 to 65535, got 0"
    ])
    expect(linted.instances.map((checked) => checked.instance)).toEqual(["broken-json", "busy", "fake-model", "good", "twin-a", "twin-b", "typo"])
    expect(linted.findings.every((finding) => finding.hint !== "")).toBe(true)
  })

  it("passes a home whose instances are all runnable", async () => {
    const home = tempHome()
    writeModel(home)
    writeConfig(home, "one", runnableConfig(await freePort()))
    expect((await Effect.runPromise(lintHome(home))).findings).toEqual([])
  })
})

describe("validateFile", () => {
  it("skips the machine checks when the schema fails", async () => {
    const home = tempHome()
    const file = writeConfig(home, "x", { model: { path: "missing.gguf" }, server: { port: "x" } })
    const checked = await Effect.runPromise(validateFile(home, file))
    expect(checked.findings.map((finding) => finding.field)).toEqual(["server.port"])
  })

  it("reports a file that does not exist", async () => {
    const home = tempHome()
    const checked = await Effect.runPromise(validateFile(home, path.join(home, "nope.json")))
    expect(checked.findings[0]?.problem).toBe("file not found")
  })
})
