import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { ORCH, orch } from "../support/orch.js"

const cacheDir = path.join(path.dirname(ORCH), ".v8-cache")
const cacheOf = (bundle: string) => fs.readdirSync(cacheDir).filter((file) => file.startsWith(`${bundle}-`) && file.endsWith(".bin"))

describe("the orch launcher's compile cache", () => {
  it("keeps V8's compiled code per bundle, and a damaged cache is only set aside and written again", () => {
    expect(orch(["--version"]).code).toBe(0)
    expect(orch(["ps", "--json", "--home", path.dirname(ORCH)]).code).toBe(0)
    const [cli] = cacheOf("orch-cli.cjs")
    expect(cacheOf("orch-ps.cjs")).toHaveLength(1)
    fs.writeFileSync(path.join(cacheDir, cli!), "not V8's code cache")
    const run = orch(["--version"])
    expect(run.code).toBe(0)
    expect(run.stdout).toContain(JSON.parse(fs.readFileSync("package.json", "utf8")).version)
    expect(cacheOf("orch-cli.cjs")).toEqual([cli])
    expect(fs.readFileSync(path.join(cacheDir, cli!), "utf8")).not.toBe("not V8's code cache")
  })
})
