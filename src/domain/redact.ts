import type { Event } from "./events.js"
import type { InstanceState, State } from "./instances.js"

/**
 * Secrets in a config (an --api-key, a token in env) reach the server and the journal as
 * written: the server needs them, and the journal is the record of what was applied. Everything
 * shown (events as text or JSON, replay, describe, the API and its stream) goes through here.
 */
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

/** An event as it may be shown: a config's secrets hidden, an argv's too (in case it was not). */
export const redactEvent = (event: Event): Event => {
  switch (event._tag) {
    case "ConfigApplied":
      return { ...event, config: redactConfig(event.config) }
    case "ProcessSpawned":
      return { ...event, argv: redactArgv(event.argv) }
    default:
      return event
  }
}

const redactInstance = (instance: InstanceState): InstanceState => {
  const decoded = instance.decoded_config
  return {
    ...instance,
    config: instance.config === null ? null : redactConfig(instance.config),
    decoded_config: decoded === null ? null : { ...decoded, args: redactArgv(decoded.args), env: redactEnv(decoded.env) }
  }
}

/** A folded state as it may be shown: every instance's config redacted, as written and decoded. */
export const redactState = (state: State): State => ({
  ...state,
  instances: Object.fromEntries(Object.entries(state.instances).map(([name, instance]) => [name, instance.config === null ? instance : redactInstance(instance)]))
})

const valueAfter = (argv: ReadonlyArray<string>, flag: string): string | undefined => {
  for (const [index, arg] of argv.entries()) {
    if (arg.startsWith(`${flag}=`)) return arg.slice(flag.length + 1)
    if (arg === flag) return argv[index + 1]
  }
  return undefined
}

/**
 * A config sent back as it was shown (secrets as ***), with each hidden secret put back from the
 * config it replaces: so that what was shown can be edited and saved without retyping secrets.
 * A *** with nothing to put back stays, and is checked like any value.
 */
export const restoreSecrets = (given: Readonly<Record<string, unknown>>, current: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> => {
  if (current === undefined) return { ...given }
  const restored: Record<string, unknown> = { ...given }
  const args = given["args"]
  const currentArgs = Array.isArray(current["args"]) ? current["args"].map(String) : []
  if (Array.isArray(args)) {
    restored["args"] = args.map((arg, index) => {
      if (typeof arg !== "string") return arg
      const [flag, value] = arg.split(/=(.*)/s)
      if (value === REDACTED && SECRET_FLAGS.has(flag!)) {
        const kept = valueAfter(currentArgs, flag!)
        return kept === undefined ? arg : `${flag}=${kept}`
      }
      const before = args[index - 1]
      if (arg === REDACTED && typeof before === "string" && SECRET_FLAGS.has(before)) return valueAfter(currentArgs, before) ?? arg
      return arg
    })
  }
  const env = given["env"]
  const currentEnv = current["env"]
  if (typeof env === "object" && env !== null && !Array.isArray(env) && typeof currentEnv === "object" && currentEnv !== null) {
    restored["env"] = Object.fromEntries(
      Object.entries(env).map(([key, value]) => [key, value === REDACTED && isSecretName(key) && Object.hasOwn(currentEnv, key) ? (currentEnv as Record<string, unknown>)[key] : value])
    )
  }
  return restored
}
