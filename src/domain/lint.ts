import { Either, Option, ParseResult, Schema, type SchemaAST as AST } from "effect"
import { binaryArgv } from "./argv.js"
import { InstanceConfig } from "./config.js"
import { formatDuration } from "./duration.js"
import type { Finding } from "./findings.js"
import { descriptionAt, formatPath, kindAt, keysAt } from "./schema-paths.js"
import { didYouMean } from "./suggest.js"

/** Pure config rules: the schema, rules across fields, and rules across instances. */

const fromIssue = (ast: AST.AST, fallbackHint: string) => (issue: ParseResult.ArrayFormatterIssue): Finding => {
  const hintFor = (path: ReadonlyArray<PropertyKey>): string => Option.getOrElse(descriptionAt(ast, path), () => fallbackHint)
  const field = formatPath(issue.path)
  switch (issue._tag) {
    case "Unexpected": {
      const key = String(issue.path[issue.path.length - 1])
      const known = keysAt(ast, issue.path.slice(0, -1))
      return {
        field,
        problem: `unknown key ${JSON.stringify(key)}`,
        hint: Option.match(didYouMean(key, known), {
          onSome: (guess) => `did you mean "${guess}"?`,
          onNone: () => `remove it; allowed here: ${known.join(", ")}`
        })
      }
    }
    case "Missing":
      return { field, problem: "is required", hint: hintFor(issue.path) }
    default: {
      // Effect's own wording ("Expected Struct (Encoded side), actual 5") is for developers: a
      // failure that no annotation of ours words is said again as what the field must be.
      const internal = EFFECT_WORDING.exec(issue.message)
      const problem = internal === null ? issue.message : `must be ${kindAt(ast, issue.path)}, got ${internal[1]}`
      return { field, problem, hint: hintFor(issue.path) }
    }
  }
}

const EFFECT_WORDING = /^Expected [\s\S]*, actual ([\s\S]*)$/

/** Findings with the same words: a union's members each report the same wrong value. */
const distinct = (findings: ReadonlyArray<Finding>): ReadonlyArray<Finding> =>
  findings.filter((finding, index) => findings.findIndex((other) => other.field === finding.field && other.problem === finding.problem) === index)

/** Decodes a parsed file against a schema of ours: the value, or every problem as a finding. */
export const decodeWithFindings = <A, I>(schema: Schema.Schema<A, I>, fallbackHint = "see `orch config schema`") => {
  const decode = Schema.decodeUnknownEither(schema, { errors: "all", onExcessProperty: "error" })
  return (raw: unknown): Either.Either<A, ReadonlyArray<Finding>> =>
    Either.mapLeft(decode(raw), (error) => distinct(ParseResult.ArrayFormatter.formatErrorSync(error).map(fromIssue(schema.ast, fallbackHint))))
}

const decode = decodeWithFindings(InstanceConfig)

/** Flags that orch writes itself from config fields; repeating them in `args` would fight it. */
const OWNED_FLAGS: ReadonlyArray<readonly [ReadonlyArray<string>, string]> = [
  [["--host"], "server.host"],
  [["--port"], "server.port"],
  [["-m", "--model"], "model.path"],
  [["-a", "--alias"], "the instance name"]
]

const DEVICE_FLAGS: ReadonlySet<string> = new Set(["-dev", "--device"])
const VISIBLE_DEVICE_MASKS: ReadonlySet<string> = new Set(["GGML_VK_VISIBLE_DEVICES", "CUDA_VISIBLE_DEVICES", "GGML_VULKAN_DEVICE", "HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES"])

const crossFieldRules = (config: InstanceConfig): ReadonlyArray<Finding> => {
  const findings: Array<Finding> = []
  const policy = config.restart_policy
  if (policy.max_delay < policy.initial_delay) {
    findings.push({
      field: "restart_policy.max_delay",
      problem: `is ${formatDuration(policy.max_delay)}, shorter than initial_delay (${formatDuration(policy.initial_delay)})`,
      hint: "make max_delay at least initial_delay"
    })
  }
  config.args.forEach((arg, index) => {
    const flag = arg.split("=")[0]!
    const owned = OWNED_FLAGS.find(([flags]) => flags.includes(flag))
    if (owned !== undefined) {
      findings.push({
        field: `args[${index}]`,
        problem: `"${flag}" is set by orch from ${owned[1]}`,
        hint: `remove it from args${owned[1].includes(".") ? ` and set ${owned[1]}` : ""}`
      })
    }
  })
  const gpu = config.gpu
  if (gpu.backend !== "cpu" && gpu.device_id !== undefined) {
    config.args.forEach((arg, index) => {
      if (DEVICE_FLAGS.has(arg.split("=")[0]!)) {
        findings.push({ field: `args[${index}]`, problem: "chooses a device while gpu.device_id does too", hint: "keep one: gpu.device_id, or --device in args" })
      }
    })
    const mask = Object.keys(config.env).find((name) => VISIBLE_DEVICE_MASKS.has(name))
    if (mask !== undefined && gpu.select_by === "device_flag") {
      findings.push({
        field: `env.${mask}`,
        problem: "hides devices and renumbers the rest, while gpu.device_id picks one by --device",
        hint: `remove ${mask}, or set gpu.select_by to "environment" and let device_id set it`
      })
    }
  }
  return findings
}

/** Linux refuses one argument or `NAME=value` of this many bytes or more (MAX_ARG_STRLEN). */
const MAX_ARG_BYTES = 131_072
/**
 * Our bound on what a config adds to the server's command line and environment. Linux allows
 * 2 MiB in all (a quarter of the stack limit), and the daemon's own environment takes its share.
 */
const MAX_SPAWN_BYTES = 1024 ** 2

const envField = (name: string) => formatPath(["env", name])

/** Every string of the config that the OS passes to the server, with the field it comes from. */
const passedToServer = (config: InstanceConfig): ReadonlyArray<readonly [field: string, text: string]> => [
  ...binaryArgv(config).map((word, index) => [typeof config.binary === "string" ? "binary" : `binary[${index}]`, word] as const),
  ["server.host", config.server.host],
  ["model.path", config.model.path],
  ...config.args.map((arg, index) => [`args[${index}]`, arg] as const),
  ...Object.entries(config.env).map(([name, value]) => [envField(name), `${name}=${value}`] as const)
]

/** What the OS cannot spawn: a config that decodes can still never start (execve says E2BIG or Node refuses). */
const spawnRules = (config: InstanceConfig): ReadonlyArray<Finding> => {
  const findings: Array<Finding> = []
  for (const name of Object.keys(config.env)) {
    if (name === "" || name.includes("=")) {
      findings.push({
        field: envField(name),
        problem: name === "" ? "has an empty variable name" : `the name ${JSON.stringify(name)} holds "=", where a variable's name ends`,
        hint: "name the variable with letters, digits and _"
      })
    }
  }
  let total = 0
  for (const [field, text] of passedToServer(config)) {
    const bytes = Buffer.byteLength(text)
    total += bytes + 1
    if (text.includes("\0")) {
      findings.push({ field, problem: "holds a NUL character (\\u0000), which no program's arguments or environment can carry", hint: "remove the NUL character" })
    } else if (bytes >= MAX_ARG_BYTES) {
      findings.push({ field, problem: `is ${bytes} bytes long; Linux refuses an argument or variable of ${MAX_ARG_BYTES} bytes or more`, hint: "put long content in a file and pass its path" })
    }
  }
  if (total > MAX_SPAWN_BYTES) {
    const envBytes = Object.entries(config.env).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + Buffer.byteLength(value) + 2, 0)
    findings.push({
      field: envBytes > total / 2 ? "env" : "args",
      problem: `the command line and environment come to ${total} bytes; a config may pass at most ${MAX_SPAWN_BYTES} (1 MiB), since Linux allows 2 MiB in all`,
      hint: "shorten args and env: put long content in files and pass their paths"
    })
  }
  return findings
}

/** Decodes a parsed config file: the config with defaults filled, or every problem found. */
export const decodeConfig = (raw: unknown): Either.Either<InstanceConfig, ReadonlyArray<Finding>> =>
  Either.flatMap(decode(raw), (config) => {
    const findings = [...crossFieldRules(config), ...spawnRules(config)]
    return findings.length === 0 ? Either.right(config) : Either.left(findings)
  })

export interface Listener {
  readonly instance: string
  readonly host: string
  readonly port: number
}

const WILDCARDS = new Set(["0.0.0.0", "::", "*"])
const overlaps = (a: Listener, b: Listener) =>
  a.port === b.port && (a.host === b.host || WILDCARDS.has(a.host) || WILDCARDS.has(b.host))

/** Two instances on one host:port would share traffic (llama-server binds with SO_REUSEPORT). */
export const portCollisions = (listeners: ReadonlyArray<Listener>): ReadonlyMap<string, Finding> => {
  const findings = new Map<string, Finding>()
  for (const listener of listeners) {
    const others = listeners.filter((other) => other !== listener && overlaps(listener, other))
    if (others.length > 0) {
      findings.set(listener.instance, {
        field: "server.port",
        problem: `${listener.host}:${listener.port} is also used by ${others.map((other) => other.instance).join(", ")}`,
        hint: "give each instance its own port (`orch init` picks a free one)"
      })
    }
  }
  return findings
}

/** A finding of a rule across instances, and the instance whose file it is in. */
export interface InstanceFinding extends Finding {
  readonly instance: string
}

/** What the gateway knows an instance by, besides its name. */
export interface GatewayNames {
  readonly instance: string
  readonly aliases: ReadonlyArray<string>
  readonly group?: string | undefined
}

/**
 * A request's `model` must name one instance: an alias shared by two, or that is another's name,
 * would leave the gateway to pick one. `names` are every instance's, decoded or not.
 */
export const aliasClashes = (instances: ReadonlyArray<GatewayNames>, names: ReadonlyArray<string>): ReadonlyArray<InstanceFinding> =>
  instances.flatMap(({ instance, aliases }) =>
    aliases.flatMap((alias, index): ReadonlyArray<InstanceFinding> => {
      const field = formatPath(["gateway", "aliases", index])
      const quoted = JSON.stringify(alias)
      const sharers = instances.filter((other) => other.instance !== instance && other.aliases.includes(alias)).map((other) => other.instance)
      return [
        ...(alias === instance
          ? [{ instance, field, problem: `${quoted} is this instance's own name`, hint: "remove it: clients can use the name already" }]
          : names.includes(alias)
            ? [{ instance, field, problem: `${quoted} is the name of another instance`, hint: `choose another alias: a request for ${quoted} must mean one instance` }]
            : []),
        ...(sharers.length > 0
          ? [{ instance, field, problem: `${quoted} is also an alias of ${sharers.join(", ")}`, hint: `keep ${quoted} on one instance: a request for it must mean one` }]
          : [])
      ]
    })
  )

/** An instance's gateway.group must be one that orch.json's gateway.groups defines. */
export const undefinedGroups = (instances: ReadonlyArray<GatewayNames>, groups: ReadonlyArray<string>): ReadonlyArray<InstanceFinding> =>
  instances.flatMap(({ instance, group }): ReadonlyArray<InstanceFinding> =>
    group === undefined || groups.includes(group)
      ? []
      : [{
        instance,
        field: "gateway.group",
        problem: `${JSON.stringify(group)} is not a group of orch.json's gateway.groups`,
        hint: Option.match(didYouMean(group, groups), {
          onSome: (guess) => `did you mean "${guess}"?`,
          onNone: () =>
            `define it in orch.json: "gateway": { "groups": { ${JSON.stringify(group)}: {} } }${groups.length === 0 ? "" : `, or use one defined there: ${groups.join(", ")}`}`
        })
      }]
  )
