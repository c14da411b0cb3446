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

const SECRET_FLAGS = new Set(["--api-key", "--api-key-file", "--ssl-key-file", "--hf-token"])
const SECRET_NAME = /KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL/i
export const REDACTED = "***"

/** The argv with secret values hidden, for the journal and for anything shown. */
export const redactArgv = (argv: ReadonlyArray<string>): ReadonlyArray<string> =>
  argv.map((arg, index) => {
    const [flag, value] = arg.split(/=(.*)/s)
    if (value !== undefined && SECRET_FLAGS.has(flag!)) return `${flag}=${REDACTED}`
    return index > 0 && SECRET_FLAGS.has(argv[index - 1]!) ? REDACTED : arg
  })

export const isSecretName = (name: string) => SECRET_NAME.test(name)

export const redactEnv = (env: Readonly<Record<string, string>>): Record<string, string> =>
  Object.fromEntries(Object.entries(env).map(([key, value]) => [key, isSecretName(key) ? REDACTED : value]))

/** A config as written, with the secrets of `args` and `env` hidden: for anything shown. */
export const redactConfig = (config: Readonly<Record<string, unknown>>): Record<string, unknown> => {
  const redacted: Record<string, unknown> = { ...config }
  if (Array.isArray(config["args"])) redacted["args"] = redactArgv(config["args"].map(String))
  const env = config["env"]
  if (typeof env === "object" && env !== null && !Array.isArray(env)) {
    redacted["env"] = redactEnv(Object.fromEntries(Object.entries(env).map(([key, value]) => [key, String(value)])))
  }
  return redacted
}
