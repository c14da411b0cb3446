import * as fs from "node:fs"
import { Effect, Exit } from "effect"
import { describe, expect, it } from "vitest"
import { configFile } from "../../src/config/home.js"
import { initInstance } from "../../src/config/init.js"
import { validateFile } from "../../src/config/validate.js"
import { tempHome, writeConfig, writeModel } from "../support/home.js"
import { listen } from "../support/net.js"

const failure = <A, E>(exit: Exit.Exit<A, E>) => (Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : undefined)

describe("initInstance", () => {
  it.each(["cpu", "vulkan", "cuda"] as const)("writes a %s config that validates but for the binary", async (backend) => {
    const home = tempHome()
    writeModel(home)
    const created = await Effect.runPromise(initInstance({ home, name: "qwen", backend, model: "model.gguf" }))
    expect(created.file).toBe(configFile(home, "qwen"))
    const written = JSON.parse(fs.readFileSync(created.file, "utf8"))
    expect(written.gpu.backend).toBe(backend)
    const checked = await Effect.runPromise(validateFile(home, created.file))
    // llama-server is not installed here; everything else about the new config holds.
    expect(checked.findings.map((finding) => finding.field)).toEqual(
      process.env["PATH"]?.split(":").some((dir) => fs.existsSync(`${dir}/llama-server`)) ? [] : ["binary"]
    )
    expect(checked.config?.server.port).toBe(created.port)
  })

  it("chooses a port that no instance claims and nothing listens on", async () => {
    const home = tempHome()
    writeConfig(home, "a", { model: { path: "x" }, server: { port: 8080 } })
    writeConfig(home, "b", "{ broken json but the port stays claimed")
    writeConfig(home, "c", { server: { port: 8081 } })
    const blocked = await listen(8082).then(() => true, () => false)
    const created = await Effect.runPromise(initInstance({ home, name: "d", backend: "cpu", model: "x" }))
    expect(created.port).toBeGreaterThanOrEqual(blocked ? 8083 : 8082)
    expect([8080, 8081]).not.toContain(created.port)
  })

  it("refuses an existing instance and leaves its config untouched", async () => {
    const home = tempHome()
    const file = writeConfig(home, "qwen", { model: { path: "mine.gguf" }, server: { port: 9000 } })
    const before = fs.readFileSync(file, "utf8")
    const exit = await Effect.runPromiseExit(initInstance({ home, name: "qwen", backend: "cpu", model: "other.gguf" }))
    expect(failure(exit)).toMatchObject({ _tag: "InstanceExists", name: "qwen" })
    expect(fs.readFileSync(file, "utf8")).toBe(before)
  })

  it("refuses a bad name and a port another instance claims, writing nothing", async () => {
    const home = tempHome()
    writeConfig(home, "a", { model: { path: "x" }, server: { port: 9000 } })
    const badName = await Effect.runPromiseExit(initInstance({ home, name: "Qwen 7B", backend: "cpu", model: "x" }))
    expect(failure(badName)).toMatchObject({ _tag: "InvalidName" })
    const taken = await Effect.runPromiseExit(initInstance({ home, name: "b", backend: "cpu", model: "x", port: 9000 }))
    expect(failure(taken)).toMatchObject({ _tag: "PortTaken", port: 9000, by: 'instance "a"' })
    expect(fs.readdirSync(`${home}/instances`)).toEqual(["a"])
  })
})
