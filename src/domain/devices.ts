import type { Device } from "./events.js"

/** `  Vulkan0: AMD Radeon RX 6800 (16368 MiB, 16112 MiB free)`: the format of ../shared/llama-server.md. */
const DEVICE_LINE = /^\s*(\S+):\s+(.*?)\s*\((\d+)\s*MiB,\s*(\d+)\s*MiB free\)\s*$/

/**
 * What `llama-server --list-devices` printed. The format has moved between versions, so this is
 * lenient: device lines are taken where they match, the heading and blank lines are skipped,
 * and every other line is kept as it was, never an error.
 */
export const parseDevices = (output: string): { readonly devices: ReadonlyArray<Device>; readonly unparsed: ReadonlyArray<string> } => {
  const devices: Array<Device> = []
  const unparsed: Array<string> = []
  for (const line of output.split(/\r?\n/)) {
    if (line.trim() === "" || /^\s*available devices:?\s*$/i.test(line)) continue
    const match = DEVICE_LINE.exec(line)
    if (match === null) unparsed.push(line.trimEnd())
    else devices.push({ name: match[1]!, description: match[2]!, total_mib: Number(match[3]), free_mib: Number(match[4]) })
  }
  return { devices, unparsed }
}

/**
 * The device a new instance of `backend` should use: of that backend's devices, the one with the
 * most memory free. Its `device_id` is the number in its name (Vulkan1 is 1), which is how
 * `--device` names it again and the visible-devices masks count.
 */
export const suggestDevice = (backend: "vulkan" | "cuda", devices: ReadonlyArray<Device>) => {
  let best: { readonly device_id: number; readonly device: Device } | undefined
  for (const device of devices) {
    const match = /^([A-Za-z]+)(\d+)$/.exec(device.name)
    if (match === null || match[1]!.toLowerCase() !== backend) continue
    if (best === undefined || device.free_mib > best.device.free_mib) best = { device_id: Number(match[2]), device }
  }
  return best
}
