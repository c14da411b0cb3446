import type { InstanceConfig } from "./config.js"

/** The server's command: `binary` as one word or as a command line of its own (node and a script, say). */
export const binaryArgv = (config: InstanceConfig): ReadonlyArray<string> => (typeof config.binary === "string" ? [config.binary] : config.binary)

/**
 * The command line and environment of one llama-server, built from its config alone, never
 * through a shell. Relative paths stay relative: the server runs with the home as its cwd.
 */
export const buildArgv = (name: string, config: InstanceConfig): ReadonlyArray<string> => {
  const optional = (flag: string, value: number | string | undefined) => (value === undefined ? [] : [flag, String(value)])
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
    ...optional("--timeout", config.server.timeout === undefined ? undefined : Math.ceil(config.server.timeout / 1000)),
    "--alias", name,
    ...config.args
  ]
}

/** Marks every server with its instance and home, so a daemon can find one it never journaled. */
export const INSTANCE_MARKER = "LLAMA_ORCH_INSTANCE"
export const HOME_MARKER = "LLAMA_ORCH_HOME"

const GPU_SELECTOR = { cpu: undefined, vulkan: "GGML_VULKAN_DEVICE", cuda: "CUDA_VISIBLE_DEVICES" } as const

/** The daemon's environment, then GPU selection, then the config's `env`, then the markers. */
export const buildEnv = (
  base: Readonly<Record<string, string | undefined>>,
  name: string,
  home: string,
  config: InstanceConfig
): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(base)) if (value !== undefined) env[key] = value
  const selector = GPU_SELECTOR[config.gpu.backend]
  if (selector !== undefined && config.gpu.device_id !== undefined) env[selector] = String(config.gpu.device_id)
  Object.assign(env, config.env)
  env[INSTANCE_MARKER] = name
  env[HOME_MARKER] = home
  return env
}
