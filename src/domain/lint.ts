import { Either, Option, ParseResult, Schema, type SchemaAST as AST } from "effect"
import { InstanceConfig } from "./config.js"
import { formatDuration } from "./duration.js"
import type { Finding } from "./findings.js"
import { descriptionAt, formatPath, keysAt } from "./schema-paths.js"
import { didYouMean } from "./suggest.js"

/** Pure config rules: the schema, rules across fields, and rules across instances. */

const hintFor = (ast: AST.AST, path: ReadonlyArray<PropertyKey>): string =>
  Option.getOrElse(descriptionAt(ast, path), () => "see `orch config schema`")

const fromIssue = (ast: AST.AST) => (issue: ParseResult.ArrayFormatterIssue): Finding => {
  const field = formatPath(issue.path)
  switch (issue._tag) {
    case "Unexpected": {
      const key = String(issue.path[issue.path.length - 1])
      const known = keysAt(ast, issue.path.slice(0, -1))
      return {
        field,
        problem: `unknown key "${key}"`,
        hint: Option.match(didYouMean(key, known), {
          onSome: (guess) => `did you mean "${guess}"?`,
          onNone: () => `remove it; allowed here: ${known.join(", ")}`
        })
      }
    }
    case "Missing":
      return { field, problem: "is required", hint: hintFor(ast, issue.path) }
    default:
      return { field, problem: issue.message, hint: hintFor(ast, issue.path) }
  }
}

/** Decodes a parsed file against a schema of ours: the value, or every problem as a finding. */
export const decodeWithFindings = <A, I>(schema: Schema.Schema<A, I>) => {
  const decode = Schema.decodeUnknownEither(schema, { errors: "all", onExcessProperty: "error" })
  return (raw: unknown): Either.Either<A, ReadonlyArray<Finding>> =>
    Either.mapLeft(decode(raw), (error) => ParseResult.ArrayFormatter.formatErrorSync(error).map(fromIssue(schema.ast)))
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

/** Decodes a parsed config file: the config with defaults filled, or every problem found. */
export const decodeConfig = (raw: unknown): Either.Either<InstanceConfig, ReadonlyArray<Finding>> =>
  Either.flatMap(decode(raw), (config) => {
    const findings = crossFieldRules(config)
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
