import * as fs from "node:fs"
import * as path from "node:path"
import { Ajv } from "ajv"
import { describe, expect, it } from "vitest"
import { tempHome } from "../support/home.js"
import { orch } from "../support/orch.js"

const homeWith = (settings: unknown): string => {
  const home = tempHome()
  fs.writeFileSync(path.join(home, "orch.json"), typeof settings === "string" ? settings : JSON.stringify(settings, null, 2))
  return home
}

describe("orch config lint on orch.json", () => {
  it("names orch.json, the field and the fix of a bad file, and exits 1", () => {
    const home = homeWith({ http: { listen: "0.0.0.0:7433", auth: "none" } })
    const table = orch(["config", "lint", "--home", home])
    expect(table.code).toBe(1)
    expect(table.stdout).toContain(`✗ 1 problem in orch.json of ${home}`)
    expect(table.stdout).toMatch(/│ orch\.json\s+│ http\.auth\s+│/)
    const json = orch(["config", "lint", "--home", home, "--json"])
    expect(json.code).toBe(1)
    expect(JSON.parse(json.stdout).findings).toEqual([{
      file: path.join(home, "orch.json"),
      instance: null,
      field: "http.auth",
      problem: `"none" on a non-loopback address (0.0.0.0) would let anyone on the network control this machine's servers`,
      hint: `use "token", or listen on 127.0.0.1`
    }])
  })

  it("guesses the key meant by a typo", () => {
    const run = orch(["config", "lint", "--home", homeWith({ http: { lsiten: "127.0.0.1:7433" } }), "--json"])
    expect(run.code).toBe(1)
    expect(JSON.parse(run.stdout).findings).toMatchObject([{ field: "http.lsiten", problem: 'unknown key "lsiten"', hint: 'did you mean "listen"?' }])
  })

  it("reports a file that is not JSON, naming it", () => {
    const home = homeWith('{ "http": { "listen": "127.0.0.1:7433", } }')
    const run = orch(["config", "lint", "--home", home, "--json"])
    expect(run.code).toBe(1)
    expect(JSON.parse(run.stdout).findings).toMatchObject([{ file: path.join(home, "orch.json"), field: "", problem: expect.stringMatching(/^malformed JSON at line 1/) }])
  })

  it("passes a good file, and a home without one", () => {
    for (const home of [homeWith({ http: { listen: "[::1]:0", auth: "none" } }), tempHome()]) {
      const run = orch(["config", "lint", "--home", home])
      expect(run.code, run.stdout + run.stderr).toBe(0)
    }
  })
})

describe("orch config schema --settings", () => {
  const validate = () => new Ajv({ strict: false }).compile(JSON.parse(orch(["config", "schema", "--settings"]).stdout))

  it("prints a JSON Schema that accepts good files", () => {
    const check = validate()
    for (const good of [
      {},
      { $schema: "./orch.schema.json", http: { listen: "127.0.0.1:7433", auth: "token" } },
      { http: { listen: "[::1]:0" } },
      { http: { listen: "off" } },
      { gateway: {} },
      { gateway: { api_keys: ["sk-1"], max_queue: 10, drain_timeout: "30s", groups: { gpu0: {}, cpu: { exclusive: false } } } }
    ]) {
      expect(check(good), `${JSON.stringify(good)}: ${JSON.stringify(check.errors)}`).toBe(true)
    }
  })

  it("rejects bad ones: unknown keys, ports out of range, hosts that are names, other auths, bad gateway values", () => {
    const check = validate()
    for (const bad of [
      { http: { lsiten: "127.0.0.1:7433" } },
      { gatway: {} },
      { http: { listen: "127.0.0.1:65536" } },
      { http: { listen: "example.com:80" } },
      { http: { listen: 7433 } },
      { http: { auth: "basic" } },
      { gateway: { api_keys: ["a b"] } },
      { gateway: { max_queue: 0 } },
      { gateway: { drain_timeout: "soon" } },
      { gateway: { groups: { GPU: {} } } },
      { gateway: { groups: { gpu: { exclusive: "yes" } } } }
    ]) {
      expect(check(bad), JSON.stringify(bad)).toBe(false)
    }
  })
})
