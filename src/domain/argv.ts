import type { InstanceConfig } from "./config.js"

/** The server's command: `binary` as one word or as a command line of its own (node and a script, say). */
export const binaryArgv = (config: InstanceConfig): ReadonlyArray<string> => (typeof config.binary === "string" ? [config.binary] : config.binary)

/**
 * The command line and environment of one llama-server, built from its config alone, never
 * through a shell. Relative paths stay relative: the server runs with the home as its cwd.
 */
export const buildArgv = (name: string, config: InstanceConfig): ReadonlyArray<string> => {
  const optional = (flag: string, value: number | string | undefined) => (value === undefined ? [] : [flag, String(value)])
  const gpu = gpuSelection(config)
  return [
    ...binaryArgv(config),
    "--host", config.server.host,
    "--port", String(config.server.port),
    "-m", config.model.path,
    ...optional("--ctx-size", config.model.context_size),
    ...optional("--batch-size", config.model.batch_size),
    ...optional("--threads", config.model.threads),
    ...optional("--parallel", config.server.parallel),
    ...optional("-ngl", config.gpu.layers),
    ...optional("--device", gpu?.by === "device_flag" ? gpu.device : undefined),
    ...optional("--timeout", config.server.timeout === undefined ? undefined : Math.ceil(config.server.timeout / 1000)),
    "--alias", name,
    ...config.args
  ]
}

/** Marks every server with its instance and home, so a daemon can find one it never journaled. */
export const INSTANCE_MARKER = "LLAMA_ORCH_INSTANCE"
export const HOME_MARKER = "LLAMA_ORCH_HOME"

/** The names `--list-devices` prints: the backend's prefix and the device's index (Vulkan0, CUDA1). */
const DEVICE_PREFIX = { vulkan: "Vulkan", cuda: "CUDA" } as const
/**
 * Masks that hide every other device, for builds too old for --device. A mask renumbers what the
 * server sees (the one device left becomes Vulkan0), so a config uses one way or the other, never
 * both. (Vulkan's older GGML_VULKAN_DEVICE is not read by 2026 sources.)
 */
const VISIBLE_DEVICES = { vulkan: "GGML_VK_VISIBLE_DEVICES", cuda: "CUDA_VISIBLE_DEVICES" } as const

export type GpuSelection =
  | { readonly by: "device_flag"; readonly device: string }
  | { readonly by: "environment"; readonly variable: string; readonly value: string }

/** How the config's GPU reaches the server, if it names one. */
export const gpuSelection = (config: InstanceConfig): GpuSelection | undefined => {
  const { backend, device_id, select_by } = config.gpu
  if (backend === "cpu" || device_id === undefined) return undefined
  return select_by === "device_flag"
    ? { by: "device_flag", device: `${DEVICE_PREFIX[backend]}${device_id}` }
    : { by: "environment", variable: VISIBLE_DEVICES[backend], value: String(device_id) }
}

/** What describe shows of it. */
export const showGpuSelection = (selection: GpuSelection | undefined) =>
  selection === undefined ? null : selection.by === "device_flag" ? `--device ${selection.device}` : `${selection.variable}=${selection.value}`

/** The daemon's environment, then a GPU mask (select_by environment), then the config's `env`, then the markers. */
export const buildEnv = (
  base: Readonly<Record<string, string | undefined>>,
  name: string,
  home: string,
  config: InstanceConfig
): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(base)) if (value !== undefined) env[key] = value
  const gpu = gpuSelection(config)
  if (gpu?.by === "environment") env[gpu.variable] = gpu.value
  Object.assign(env, config.env)
  env[INSTANCE_MARKER] = name
  env[HOME_MARKER] = home
  return env
}
