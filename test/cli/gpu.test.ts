import { describe, expect, it } from "vitest"
import { addSim, simHome, types } from "../support/daemon.js"
import { freePorts } from "../support/net.js"
import { orch } from "../support/orch.js"
import { startSim } from "../support/sim.js"

describe("GPU selection", () => {
  it("picks the second GPU by --device with the name llama-server lists, and describe says so", async () => {
    const home = simHome()
    const [port] = await freePorts(1)
    addSim(home, "chat", port!, ["--sim-devices", "Vulkan0,Vulkan1"], { gpu: { backend: "vulkan", device_id: 1 } })
    expect(orch(["up", "chat", "--home", home]).code).toBe(0)
    const described = JSON.parse(orch(["describe", "chat", "--json", "--home", home]).stdout)
    expect(described.gpu).toEqual({ backend: "vulkan", selected_by: "--device Vulkan1" })
    expect(described.argv.join(" ")).toContain("--device Vulkan1")
    expect(described.env_keys).not.toContain("GGML_VK_VISIBLE_DEVICES")
    expect(orch(["describe", "chat", "--home", home]).stdout).toMatch(/gpu +vulkan, --device Vulkan1/)
  })

  it("takes the environment route only when asked, for builds too old for --device", async () => {
    const home = simHome()
    const [port] = await freePorts(1)
    addSim(home, "old", port!, [], { gpu: { backend: "vulkan", device_id: 1, select_by: "environment" } })
    expect(orch(["up", "old", "--home", home]).code).toBe(0)
    const described = JSON.parse(orch(["describe", "old", "--json", "--home", home]).stdout)
    expect(described.gpu).toEqual({ backend: "vulkan", selected_by: "GGML_VK_VISIBLE_DEVICES=1" })
    expect(described.argv).not.toContain("--device")
  })

  it("a device the build does not have: llama-server's own words, a configuration error, no retry", async () => {
    const home = simHome()
    const [port] = await freePorts(1)
    addSim(home, "nogpu", port!, ["--sim-devices", "Vulkan0"], { gpu: { backend: "vulkan", device_id: 3 } })
    const up = orch(["up", "nogpu", "--home", home])
    expect(up.code).toBe(1)
    expect(up.stdout).toContain('error while handling argument "--device": invalid device: Vulkan3')
    expect(types(home, "nogpu").find((event) => event.type === "SpawnFailed")?.data["config_error"]).toBe(true)
  })

  it("the simulator refuses a device name its build does not have, as llama-server does", async () => {
    const refused = startSim(["--device", "CUDA1", "-m", "x.gguf", "--sim-devices", "CUDA0"])
    expect(await refused.exited).toEqual({ code: 1, signal: null })
    expect(refused.stderr()).toMatch(/^error while handling argument "--device": invalid device: CUDA1$/m)
  })
})
