import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { tempHome } from "../support/home.js"
import { hasStackTrace, orch } from "../support/orch.js"
import { TINY_MODEL } from "../support/sim.js"

/** A stand-in llama-server that answers --list-devices as a Vulkan and CUDA build would, noting each call. */
const fakeServer = (home: string, output: string, exitCode = 0) => {
  const file = path.join(home, "fake-llama-server")
  const calls = path.join(home, "calls")
  fs.writeFileSync(file, `#!/bin/sh\necho "$*" >> '${calls}'\nprintf '%s' '${output}'\nexit ${exitCode}\n`, { mode: 0o755 })
  return { file, calls: () => (fs.existsSync(calls) ? fs.readFileSync(calls, "utf8").trim().split("\n") : []) }
}

const LISTED = "Available devices:\n  Vulkan0: AMD Radeon RX 6800 (16368 MiB, 16112 MiB free)\n  CUDA0: NVIDIA GeForce RTX 4090 (24080 MiB, 23500 MiB free)\nsome line of a newer format\n"

describe("orch devices", () => {
  it("asks the instances' binary once, records the list, shows it from the journal until --refresh", () => {
    const home = tempHome()
    const server = fakeServer(home, LISTED)
    fs.mkdirSync(path.join(home, "instances", "chat"), { recursive: true })
    fs.writeFileSync(path.join(home, "instances", "chat", "config.json"), JSON.stringify({ model: { path: TINY_MODEL }, server: { port: 8080 }, binary: server.file }))

    const first = orch(["devices", "--home", home])
    expect(first.code).toBe(0)
    expect(first.stdout).toMatch(/│ Vulkan0 +│ AMD Radeon RX 6800 +│ 16368 +│ 16112 +│/)
    expect(first.stdout).toMatch(/│ CUDA0 +│ NVIDIA GeForce RTX 4090 +│ 24080 +│ 23500 +│/)
    expect(first.stdout).toContain("some line of a newer format")
    expect(server.calls()).toEqual(["--list-devices"])

    const cached = JSON.parse(orch(["devices", "--json", "--home", home]).stdout)
    expect(cached.devices).toEqual([
      { name: "Vulkan0", description: "AMD Radeon RX 6800", total_mib: 16368, free_mib: 16112 },
      { name: "CUDA0", description: "NVIDIA GeForce RTX 4090", total_mib: 24080, free_mib: 23500 }
    ])
    expect(cached.unparsed).toEqual(["some line of a newer format"])
    expect(server.calls()).toHaveLength(1)
    expect(orch(["events", "--type", "DevicesListed", "--home", home]).stdout).toContain("2 devices: Vulkan0, CUDA0")

    expect(orch(["devices", "--refresh", "--home", home]).code).toBe(0)
    expect(server.calls()).toHaveLength(2)
  })

  it("says there are no GPUs for an empty list, and reports a binary that fails or is missing: exit 1, no stack trace", () => {
    const home = tempHome()
    expect(orch(["devices", "--binary", fakeServer(home, "Available devices:\n").file, "--home", home]).stdout).toContain("No GPU devices")
    const failing = orch(["devices", "--binary", fakeServer(tempHome(), "error: unknown argument: --list-devices\n", 1).file, "--home", home])
    expect(failing.code).toBe(1)
    expect(failing.stderr).toContain("--list-devices failed")
    expect(hasStackTrace(failing)).toBe(false)
    const missing = orch(["devices", "--binary", "no-such-llama-server", "--home", home])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('"no-such-llama-server" is not an executable file, nor a command on PATH')
  })

  it("lets orch init --profile vulkan|cuda take device_id from the recorded list, and says where it came from", () => {
    const home = tempHome()
    const listed = "Available devices:\n  Vulkan0: AMD Radeon RX 6800 (16368 MiB, 16112 MiB free)\n  Vulkan1: AMD Radeon RX 7900 XTX (24560 MiB, 24000 MiB free)\n"
    const before = orch(["init", "early", "--profile", "vulkan", "--model", TINY_MODEL, "--port", "18080", "--home", home])
    expect(before.code).toBe(0)
    expect(before.stdout).toContain("device_id 0: `orch devices` lists the GPUs")
    expect(orch(["devices", "--binary", fakeServer(home, listed).file, "--home", home]).code).toBe(0)

    const vulkan = orch(["init", "chat", "--profile", "vulkan", "--model", TINY_MODEL, "--port", "18081", "--home", home])
    expect(vulkan.code).toBe(0)
    expect(vulkan.stdout).toContain("device_id 1: Vulkan1, AMD Radeon RX 7900 XTX (24000 MiB free)")
    expect(JSON.parse(fs.readFileSync(path.join(home, "instances", "chat", "config.json"), "utf8")).gpu).toEqual({ backend: "vulkan", device_id: 1, layers: 999 })

    const cuda = orch(["init", "coder", "--profile", "cuda", "--model", TINY_MODEL, "--port", "18082", "--json", "--home", home])
    expect(JSON.parse(cuda.stdout)).toMatchObject({ device: null, config: { gpu: { backend: "cuda", device_id: 0 } } })
    expect(orch(["init", "coder2", "--profile", "cuda", "--model", TINY_MODEL, "--port", "18083", "--home", home]).stdout).toContain("found no cuda device")
  })
})
