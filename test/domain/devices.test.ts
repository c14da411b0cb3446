import { describe, expect, it } from "vitest"
import { parseDevices, suggestDevice } from "../../src/domain/devices.js"

const vulkan = { name: "Vulkan0", description: "AMD Radeon RX 6800", total_mib: 16368, free_mib: 16112 }
const cuda = { name: "CUDA0", description: "NVIDIA GeForce RTX 4090", total_mib: 24080, free_mib: 23500 }

describe("--list-devices output", () => {
  it.each([
    { name: "the documented format", output: "Available devices:\n  Vulkan0: AMD Radeon RX 6800 (16368 MiB, 16112 MiB free)\n  CUDA0: NVIDIA GeForce RTX 4090 (24080 MiB, 23500 MiB free)\n", devices: [vulkan, cuda], unparsed: [] },
    { name: "no GPU backend: an empty list", output: "Available devices:\n", devices: [], unparsed: [] },
    { name: "nothing at all", output: "", devices: [], unparsed: [] },
    { name: "Windows line ends, no heading, loose spacing", output: "Vulkan0:  AMD Radeon RX 6800  (16368 MiB,16112 MiB free)\r\n", devices: [vulkan], unparsed: [] },
    { name: "a description with parentheses", output: "  CUDA1: NVIDIA A100 (PCIe) (40960 MiB, 40000 MiB free)", devices: [{ name: "CUDA1", description: "NVIDIA A100 (PCIe)", total_mib: 40960, free_mib: 40000 }], unparsed: [] },
    { name: "lines of another format are kept", output: "ggml_vulkan: Found 1 Vulkan devices:\n  Vulkan0: AMD Radeon RX 6800 (16368 MiB, 16112 MiB free)\n  Metal: Apple M2 (unified memory)\n", devices: [vulkan], unparsed: ["ggml_vulkan: Found 1 Vulkan devices:", "  Metal: Apple M2 (unified memory)"] },
    { name: "garbage", output: "\u0000\u0001 garbage ((( MiB\n%%%", devices: [], unparsed: ["\u0000\u0001 garbage ((( MiB", "%%%"] }
  ])("$name", ({ output, devices, unparsed }) => {
    expect(parseDevices(output)).toEqual({ devices, unparsed })
  })
})

describe("the device orch init suggests", () => {
  const second = { name: "Vulkan1", description: "AMD Radeon RX 7900 XTX", total_mib: 24560, free_mib: 24000 }
  it.each([
    { name: "the backend's only device", backend: "cuda" as const, devices: [vulkan, cuda], suggested: { device_id: 0, device: cuda } },
    { name: "of several, the one with the most memory free, by the number in its name", backend: "vulkan" as const, devices: [vulkan, second, cuda], suggested: { device_id: 1, device: second } },
    { name: "a tie: the first listed", backend: "vulkan" as const, devices: [second, { ...vulkan, free_mib: 24000 }], suggested: { device_id: 1, device: second } },
    { name: "none of that backend", backend: "cuda" as const, devices: [vulkan], suggested: undefined },
    { name: "an empty list", backend: "vulkan" as const, devices: [], suggested: undefined },
    { name: "names without a number are skipped", backend: "vulkan" as const, devices: [{ ...vulkan, name: "Vulkan" }], suggested: undefined }
  ])("$name", ({ backend, devices, suggested }) => {
    expect(suggestDevice(backend, devices)).toEqual(suggested)
  })
})
