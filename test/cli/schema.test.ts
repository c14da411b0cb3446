import * as fs from "node:fs"
import * as path from "node:path"
import { Ajv } from "ajv"
import { describe, expect, it } from "vitest"
import { orch } from "../support/orch.js"

const printed = () => JSON.parse(orch(["config", "schema"]).stdout)

const exampleConfigs = () =>
  fs
    .readdirSync("instances", { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => path.join("instances", entry.name, "config.json"))

describe("orch config schema", () => {
  it("prints the schema that the repository ships in instances/config.schema.json", () => {
    expect(JSON.parse(fs.readFileSync("instances/config.schema.json", "utf8"))).toEqual(printed())
  })

  it("validates every example config in the repository", () => {
    const validate = new Ajv({ strict: false }).compile(printed())
    expect(exampleConfigs().length).toBeGreaterThan(0)
    for (const file of exampleConfigs()) {
      expect(validate(JSON.parse(fs.readFileSync(file, "utf8"))), `${file}: ${JSON.stringify(validate.errors)}`).toBe(true)
    }
  })

  it("rejects what orch rejects: unknown keys, bad ports, bad durations, bad enums", () => {
    const validate = new Ajv({ strict: false }).compile(printed())
    const base = { model: { path: "m.gguf" }, server: { port: 8080 } }
    expect(validate(base)).toBe(true)
    expect(validate({ ...base, server: { port: 70000 } })).toBe(false)
    expect(validate({ ...base, servr: {} })).toBe(false)
    expect(validate({ ...base, healthcheck: { interval: "5 minutes" } })).toBe(false)
    expect(validate({ ...base, gpu: { backend: "rocm" } })).toBe(false)
    expect(validate({ ...base, healthcheck: { interval: "1h30m" }, logs: { max_size: "50MB" } })).toBe(true)
    expect(validate({ ...base, gateway: { aliases: ["chat", "gpt-4o"], on_demand: true, ttl: "10m", group: "gpu0" } })).toBe(true)
    expect(validate({ ...base, gateway: { aliases: ["chat", "chat"] } })).toBe(false)
    expect(validate({ ...base, gateway: { aliases: ["my model"] } })).toBe(false)
    expect(validate({ ...base, gateway: { group: "GPU" } })).toBe(false)
    expect(validate({ ...base, gateway: { alias: [] } })).toBe(false)
  })
})
