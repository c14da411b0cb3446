import { Either } from "effect"
import { describe, expect, it } from "vitest"
import type { Finding } from "../../src/domain/findings.js"
import { decodeConfig } from "../../src/domain/lint.js"

const minimal = { model: { path: "m.gguf" }, server: { port: 8080 } }

/** Merges `patch` into the minimal config, a level deep; `undefined` removes a key, as JSON would. */
const withPatch = (patch: Record<string, unknown>): Record<string, unknown> => {
  const merged: Record<string, unknown> = structuredClone(minimal)
  for (const [key, value] of Object.entries(patch)) {
    const base = merged[key]
    merged[key] =
      typeof value === "object" && value !== null && !Array.isArray(value) && typeof base === "object" && base !== null
        ? { ...base, ...value }
        : value
  }
  return JSON.parse(JSON.stringify(merged))
}

const findings = (raw: unknown): ReadonlyArray<Finding> =>
  Either.match(decodeConfig(raw), { onLeft: (found) => found, onRight: () => [] })

it("says a number JSON.parse made Infinity (1e999) is too large, not null", () => {
  expect(findings({ ...minimal, server: { port: JSON.parse("1e999") } }).map((finding) => finding.problem)).toEqual([
    "must be a whole number from 1 to 65535, got a number too large to hold"
  ])
})

describe("config defaults", () => {
  it("fills every default from a minimal config", () => {
    expect(decodeConfig(minimal)).toEqual(
      Either.right({
        model: { path: "m.gguf" },
        server: { host: "127.0.0.1", port: 8080 },
        gpu: { backend: "cpu", select_by: "device_flag" },
        healthcheck: { path: "/health", interval: 10_000, timeout: 5_000, retries: 3, start_period: 300_000 },
        restart_policy: {
          enabled: true,
          max_retries: 10,
          backoff_multiplier: 2,
          initial_delay: 1_000,
          max_delay: 300_000,
          reset_after: 600_000
        },
        binary: "llama-server",
        args: [],
        env: {},
        stop_timeout: 10_000,
        logs: { max_size: 50 * 1024 ** 2, keep: 5 },
        gateway: { aliases: [], on_demand: false }
      })
    )
  })

  it("fills the rest of a section that is given in part", () => {
    const decoded = Either.getOrThrow(decodeConfig(withPatch({ healthcheck: { interval: "1m" } })))
    expect(decoded.healthcheck).toEqual({ path: "/health", interval: 60_000, timeout: 5_000, retries: 3, start_period: 300_000 })
  })

  it("allows a $schema key and keeps it out of the way", () => {
    expect(Either.isRight(decodeConfig({ $schema: "../config.schema.json", ...minimal }))).toBe(true)
  })

  it("allows multi-hour start periods for slow model loads", () => {
    expect(Either.getOrThrow(decodeConfig(withPatch({ healthcheck: { start_period: "2h" } }))).healthcheck.start_period).toBe(7_200_000)
  })
})

describe("the gateway section", () => {
  it.each([
    ["absent", {}, { aliases: [], on_demand: false }],
    ["empty", { gateway: {} }, { aliases: [], on_demand: false }],
    ["every field", { gateway: { aliases: ["qwen-7b", "gpt-4o"], on_demand: true, ttl: "15m", group: "gpu0" } },
      { aliases: ["qwen-7b", "gpt-4o"], on_demand: true, ttl: 900_000, group: "gpu0" }],
    ["ttl in seconds", { gateway: { ttl: 90 } }, { aliases: [], on_demand: false, ttl: 90_000 }],
    ["ttl at its lower bound", { gateway: { ttl: "1s" } }, { aliases: [], on_demand: false, ttl: 1_000 }],
    ["ttl at its upper bound", { gateway: { ttl: "7d" } }, { aliases: [], on_demand: false, ttl: 604_800_000 }],
    ["an alias of 128 characters, with slashes and dots", { gateway: { aliases: [`org/model.v1:${"x".repeat(115)}`] } },
      { aliases: [`org/model.v1:${"x".repeat(115)}`], on_demand: false }],
    ["aliases that differ in case", { gateway: { aliases: ["Qwen", "qwen"] } }, { aliases: ["Qwen", "qwen"], on_demand: false }]
  ])("%s", (_, patch, gateway) => {
    expect(Either.getOrThrow(decodeConfig(withPatch(patch))).gateway).toEqual(gateway)
  })

  const ALIAS = "must be 1 to 128 characters without spaces or control characters"
  const GROUP = 'must be a group name: lowercase letters, digits, "-" and "_", starting with a letter or digit, at most 64 characters'
  it.each([
    ["aliases not a list", { gateway: { aliases: "qwen" } }, "gateway.aliases", 'must be a list, got "qwen"'],
    ["an empty alias", { gateway: { aliases: ["a", ""] } }, "gateway.aliases[1]", `${ALIAS}, got ""`],
    ["an alias with a space", { gateway: { aliases: ["my model"] } }, "gateway.aliases[0]", `${ALIAS}, got "my model"`],
    ["an alias with a tab", { gateway: { aliases: ["a\tb"] } }, "gateway.aliases[0]", `${ALIAS}, got "a\\tb"`],
    ["an alias with a no-break space", { gateway: { aliases: ["a\u00a0b"] } }, "gateway.aliases[0]", `${ALIAS}, got "a\u00a0b"`],
    ["an alias with a C1 control", { gateway: { aliases: ["a\u0085"] } }, "gateway.aliases[0]", `${ALIAS}, got "a\u0085"`],
    ["an alias of 129 characters", { gateway: { aliases: ["x".repeat(129)] } }, "gateway.aliases[0]", `${ALIAS}, got "${"x".repeat(79)}…`],
    ["an alias not a string", { gateway: { aliases: [7] } }, "gateway.aliases[0]", `${ALIAS}, got 7`],
    ["an alias twice", { gateway: { aliases: ["a", "b", "a"] } }, "gateway.aliases", 'lists "a" twice'],
    ["on_demand a string", { gateway: { on_demand: "yes" } }, "gateway.on_demand", 'must be true or false, got "yes"'],
    ["ttl too short", { gateway: { ttl: "500ms" } }, "gateway.ttl", "must be at least 1s"],
    ["ttl past its bound", { gateway: { ttl: "8d" } }, "gateway.ttl", 'must be at most 7d, got "8d"'],
    ["ttl not a duration", { gateway: { ttl: "soon" } }, "gateway.ttl", '"soon" is not a duration (stuck at "soon")'],
    ["group in capitals", { gateway: { group: "GPU" } }, "gateway.group", `${GROUP}, got "GPU"`],
    ["group empty", { gateway: { group: "" } }, "gateway.group", `${GROUP}, got ""`],
    ["group of 65 characters", { gateway: { group: "g".repeat(65) } }, "gateway.group", `${GROUP}, got "${"g".repeat(65)}"`],
    ["gateway not an object", { gateway: [] }, "gateway", "must be an object, got []"]
  ])("refuses %s", (_, patch, field, problem) => {
    const found = findings(withPatch(patch))
    expect(found.map((finding) => [finding.field, finding.problem])).toEqual([[field, expect.stringContaining(problem)]])
    for (const finding of found) expect(finding.hint).not.toBe("")
  })
})

describe("every field, valid", () => {
  it.each([
    ["model.context_size", { model: { path: "m.gguf", context_size: 8192 } }],
    ["model.context_size 0 (the model's own)", { model: { path: "m.gguf", context_size: 0 } }],
    ["model.batch_size", { model: { path: "m.gguf", batch_size: 512 } }],
    ["model.threads", { model: { path: "m.gguf", threads: 8 } }],
    ["server.host", { server: { host: "0.0.0.0" } }],
    ["server.port 1", { server: { port: 1 } }],
    ["server.port 65535", { server: { port: 65535 } }],
    ["server.timeout", { server: { timeout: "10m" } }],
    ["server.parallel", { server: { parallel: 4 } }],
    ["gpu.backend vulkan", { gpu: { backend: "vulkan" } }],
    ["gpu.backend cuda", { gpu: { backend: "cuda" } }],
    ["gpu.device_id", { gpu: { device_id: 1 } }],
    ["gpu.layers number", { gpu: { layers: 99 } }],
    ["gpu.layers auto", { gpu: { layers: "auto" } }],
    ["gpu.layers all", { gpu: { layers: "all" } }],
    ["gpu.select_by environment", { gpu: { backend: "vulkan", device_id: 1, select_by: "environment" } }],
    ["healthcheck.path", { healthcheck: { path: "/v1/health" } }],
    ["healthcheck.interval number", { healthcheck: { interval: 2 } }],
    ["healthcheck.timeout", { healthcheck: { timeout: "500ms" } }],
    ["healthcheck.retries", { healthcheck: { retries: 5 } }],
    ["healthcheck.start_period 0", { healthcheck: { start_period: 0 } }],
    ["restart_policy.enabled", { restart_policy: { enabled: false } }],
    ["restart_policy.max_retries 0", { restart_policy: { max_retries: 0 } }],
    ["restart_policy.backoff_multiplier", { restart_policy: { backoff_multiplier: 1.5 } }],
    ["restart_policy.initial_delay", { restart_policy: { initial_delay: "2s" } }],
    ["restart_policy.max_delay", { restart_policy: { max_delay: "1h" } }],
    ["restart_policy.reset_after", { restart_policy: { reset_after: 60 } }],
    ["binary path", { binary: "/opt/llama.cpp/build/bin/llama-server" }],
    ["binary argv prefix", { binary: ["llama", "serve"] }],
    ["args", { args: ["--metrics", "--flash-attn", "on"] }],
    ["env", { env: { LLAMA_ARG_MLOCK: "1" } }],
    ["stop_timeout", { stop_timeout: "30s" }],
    ["logs.max_size", { logs: { max_size: "10MB" } }],
    ["logs.keep", { logs: { keep: 10 } }],
    ["model.context_size at its bound", { model: { path: "m.gguf", context_size: 16_777_216 } }],
    ["model.batch_size at its bound", { model: { path: "m.gguf", batch_size: 1_048_576 } }],
    ["model.threads at its bound", { model: { path: "m.gguf", threads: 1024 } }],
    ["server.timeout at its bound", { server: { timeout: "1d" } }],
    ["server.parallel at its bound", { server: { parallel: 1024 } }],
    ["gpu.device_id at its bound", { gpu: { device_id: 63 } }],
    ["gpu.layers 999, every layer", { gpu: { layers: 999 } }],
    ["healthcheck.path with a query", { healthcheck: { path: "/health?deep=1" } }],
    ["healthcheck.interval at its bound", { healthcheck: { interval: "1h" } }],
    ["healthcheck.timeout at its bound", { healthcheck: { timeout: "10m" } }],
    ["healthcheck.retries at its bound", { healthcheck: { retries: 1000 } }],
    ["healthcheck.start_period at its bound", { healthcheck: { start_period: "7d" } }],
    ["restart_policy.max_retries at its bound", { restart_policy: { max_retries: 10_000 } }],
    ["restart_policy.backoff_multiplier at its bound", { restart_policy: { backoff_multiplier: 100 } }],
    ["restart_policy delays at their bound", { restart_policy: { initial_delay: "1d", max_delay: "1d", reset_after: "7d" } }],
    ["stop_timeout at its bound", { stop_timeout: 3600 }],
    ["logs.max_size at its bound", { logs: { max_size: "1024GB" } }],
    ["logs.keep at its bound", { logs: { keep: 100 } }],
    ["args of 131071 bytes, the most Linux takes", { args: ["x".repeat(131_071)] }],
    ["env with a name of lowercase and digits", { env: { http_proxy2: "" } }]
  ])("%s", (_, patch) => {
    expect(findings(withPatch(patch))).toEqual([])
  })
})

describe("every field, invalid", () => {
  it.each([
    ["model.path missing", { model: { path: undefined } }, "model.path", "is required"],
    ["model.path empty", { model: { path: "" } }, "model.path", 'must be a non-empty string, got ""'],
    ["model.context_size negative", { model: { path: "m", context_size: -1 } }, "model.context_size", "must be a whole number ≥ 0, got -1"],
    ["model.batch_size fraction", { model: { path: "m", batch_size: 1.5 } }, "model.batch_size", "must be a whole number ≥ 1, got 1.5"],
    ["model.threads string", { model: { path: "m", threads: "8" } }, "model.threads", 'must be a whole number ≥ 1, got "8"'],
    ["server missing", { server: undefined }, "server", "is required"],
    ["server.port missing", { server: { host: "127.0.0.1", port: undefined } }, "server.port", "is required"],
    ["server.port 0", { server: { port: 0 } }, "server.port", "must be a whole number from 1 to 65535, got 0"],
    ["server.port 65536", { server: { port: 65536 } }, "server.port", "must be a whole number from 1 to 65535, got 65536"],
    ["server.port string", { server: { port: "8080" } }, "server.port", 'must be a whole number from 1 to 65535, got "8080"'],
    ["server.host empty", { server: { host: "" } }, "server.host", 'must be an address without spaces or control characters, got ""'],
    ["server.host with a CR", { server: { host: "127.0.0.1\r" } }, "server.host", 'must be an address without spaces or control characters, got "127.0.0.1\\r"'],
    ["server.timeout too short", { server: { timeout: "10ms" } }, "server.timeout", "must be at least 1s"],
    ["server.parallel 0", { server: { parallel: 0 } }, "server.parallel", "must be a whole number ≥ 1, got 0"],
    ["gpu.backend rocm", { gpu: { backend: "rocm" } }, "gpu.backend", 'must be one of "cpu", "vulkan", "cuda", got "rocm"'],
    ["gpu.device_id negative", { gpu: { device_id: -1 } }, "gpu.device_id", "must be a whole number ≥ 0, got -1"],
    ["gpu.layers word", { gpu: { layers: "most" } }, "gpu.layers", 'must be a whole number ≥ 0, "auto" or "all", got "most"'],
    ["gpu.select_by unknown", { gpu: { select_by: "mask" } }, "gpu.select_by", 'must be "device_flag" or "environment", got "mask"'],
    ["a device chosen twice", { gpu: { backend: "vulkan", device_id: 1 }, args: ["--device", "Vulkan0"] }, "args[0]", "chooses a device while gpu.device_id does too"],
    ["a mask beside --device", { gpu: { backend: "cuda", device_id: 1 }, env: { CUDA_VISIBLE_DEVICES: "1" } }, "env.CUDA_VISIBLE_DEVICES",
      "hides devices and renumbers the rest, while gpu.device_id picks one by --device"],
    ["healthcheck.path relative", { healthcheck: { path: "health" } }, "healthcheck.path", 'must be a URL path starting with "/", got "health"'],
    ["healthcheck.interval bad unit", { healthcheck: { interval: "5y" } }, "healthcheck.interval", '"5y" is not a duration (stuck at "5y")'],
    ["healthcheck.interval 0", { healthcheck: { interval: 0 } }, "healthcheck.interval", "must be at least 100ms"],
    ["healthcheck.timeout negative", { healthcheck: { timeout: -5 } }, "healthcheck.timeout", "a duration must be zero or more seconds"],
    ["healthcheck.retries 0", { healthcheck: { retries: 0 } }, "healthcheck.retries", "must be a whole number ≥ 1, got 0"],
    ["healthcheck.start_period bool", { healthcheck: { start_period: true } }, "healthcheck.start_period", "must be a number or a string, got true"],
    ["gpu not an object", { gpu: 5 }, "gpu", "must be an object, got 5"],
    ["restart_policy.enabled string", { restart_policy: { enabled: "yes" } }, "restart_policy.enabled", 'must be true or false, got "yes"'],
    ["restart_policy.max_retries -1", { restart_policy: { max_retries: -1 } }, "restart_policy.max_retries", "must be a whole number ≥ 0, got -1"],
    ["restart_policy.backoff_multiplier 0.5", { restart_policy: { backoff_multiplier: 0.5 } }, "restart_policy.backoff_multiplier", "must be a number ≥ 1, got 0.5"],
    ["restart_policy.initial_delay bad", { restart_policy: { initial_delay: "soon" } }, "restart_policy.initial_delay", '"soon" is not a duration (stuck at "soon")'],
    ["restart_policy.max_delay below initial", { restart_policy: { initial_delay: "1m", max_delay: "10s" } }, "restart_policy.max_delay", "is 10s, shorter than initial_delay (1m)"],
    ["restart_policy.reset_after bad", { restart_policy: { reset_after: "" } }, "restart_policy.reset_after", "a duration cannot be empty"],
    ["binary empty list", { binary: [] }, "binary", 'must be a command name, a path, or a non-empty list like ["llama", "serve"], got []'],
    ["binary empty", { binary: "" }, "binary", 'must be a command name, a path, or a non-empty list like ["llama", "serve"], got ""'],
    ["args not strings", { args: ["--metrics", 5] }, "args", 'must be a list of strings, got ["--metrics",5]'],
    ["args owning --port", { args: ["--port", "9000"] }, "args[0]", '"--port" is set by orch from server.port'],
    ["args owning -m", { args: ["--metrics", "-m", "x.gguf"] }, "args[1]", '"-m" is set by orch from model.path'],
    ["args owning --alias=", { args: ["--alias=x"] }, "args[0]", '"--alias" is set by orch from the instance name'],
    ["env number", { env: { THREADS: 4 } }, "env", 'must be an object of string values, got {"THREADS":4}'],
    ["stop_timeout bad", { stop_timeout: "forever" }, "stop_timeout", '"forever" is not a duration (stuck at "forever")'],
    ["logs.max_size bad", { logs: { max_size: "5TB" } }, "logs.max_size", '"5TB" is not a size'],
    ["logs.keep 0", { logs: { keep: 0 } }, "logs.keep", "must be a whole number ≥ 1, got 0"],
    ["model.context_size past its bound", { model: { path: "m", context_size: 1e9 } }, "model.context_size", "must be at most 16777216, got 1000000000"],
    ["model.batch_size past its bound", { model: { path: "m", batch_size: 1e300 } }, "model.batch_size", "must be at most 1048576, got 1e+300"],
    ["model.threads past its bound", { model: { path: "m", threads: 1025 } }, "model.threads", "must be at most 1024, got 1025"],
    ["server.timeout past its bound", { server: { timeout: "25h" } }, "server.timeout", 'must be at most 1d, got "25h"'],
    ["server.parallel past its bound", { server: { parallel: 100_000 } }, "server.parallel", "must be at most 1024, got 100000"],
    ["gpu.device_id past its bound", { gpu: { device_id: 64 } }, "gpu.device_id", "must be at most 63, got 64"],
    ["gpu.layers past its bound", { gpu: { layers: 1e308 } }, "gpu.layers", "must be at most 10000 (999 already means every layer), got 1e+308"],
    ["healthcheck.path with CR LF", { healthcheck: { path: "/health\r\nX-Injected: 1" } }, "healthcheck.path",
      'must not hold spaces or control characters (no probe could be sent), got "/health\\r\\nX-Injected: 1"'],
    ["healthcheck.path with a space", { healthcheck: { path: "/he alth" } }, "healthcheck.path", 'must not hold spaces or control characters (no probe could be sent), got "/he alth"'],
    ["healthcheck.path with a tab", { healthcheck: { path: "/health\t" } }, "healthcheck.path", 'must not hold spaces or control characters (no probe could be sent), got "/health\\t"'],
    ["healthcheck.path with DEL", { healthcheck: { path: "/health\u007f" } }, "healthcheck.path", 'must not hold spaces or control characters (no probe could be sent), got "/health\u007f"'],
    ["healthcheck.interval 1e308 s", { healthcheck: { interval: 1e308 } }, "healthcheck.interval", "must be at most 1h, got 1e+308s"],
    ["healthcheck.interval past its bound", { healthcheck: { interval: "61m" } }, "healthcheck.interval", 'must be at most 1h, got "61m"'],
    ["healthcheck.timeout past its bound", { healthcheck: { timeout: "11m" } }, "healthcheck.timeout", 'must be at most 10m, got "11m"'],
    ["healthcheck.retries past its bound", { healthcheck: { retries: 1001 } }, "healthcheck.retries", "must be at most 1000, got 1001"],
    ["healthcheck.start_period past its bound", { healthcheck: { start_period: "8d" } }, "healthcheck.start_period", 'must be at most 7d, got "8d"'],
    ["healthcheck.start_period of 400 digits", { healthcheck: { start_period: "9".repeat(400) } }, "healthcheck.start_period", `must be at most 7d, got "${"9".repeat(400)}"`],
    ["restart_policy.max_retries past its bound", { restart_policy: { max_retries: 1e9 } }, "restart_policy.max_retries", "must be at most 10000, got 1000000000"],
    ["restart_policy.backoff_multiplier past its bound", { restart_policy: { backoff_multiplier: 1000 } }, "restart_policy.backoff_multiplier", "must be at most 100, got 1000"],
    ["restart_policy.initial_delay past its bound", { restart_policy: { initial_delay: 1e308 } }, "restart_policy.initial_delay", "must be at most 1d, got 1e+308s"],
    ["restart_policy.max_delay past its bound", { restart_policy: { max_delay: "2d" } }, "restart_policy.max_delay", 'must be at most 1d, got "2d"'],
    ["restart_policy.reset_after past its bound", { restart_policy: { reset_after: "8d" } }, "restart_policy.reset_after", 'must be at most 7d, got "8d"'],
    ["stop_timeout 1e308 s", { stop_timeout: 1e308 }, "stop_timeout", "must be at most 1h, got 1e+308s"],
    ["logs.max_size past its bound", { logs: { max_size: "1025GB" } }, "logs.max_size", 'must be at most 1024GB, got "1025GB"'],
    ["logs.max_size 1e300 bytes", { logs: { max_size: 1e300 } }, "logs.max_size", "must be at most 1024GB, got 1e+300"],
    ["logs.keep a billion", { logs: { keep: 1e9 } }, "logs.keep", "must be at most 100, got 1000000000"],
    ["args with a NUL", { args: ["--metrics", "a\u0000b"] }, "args[1]", "holds a NUL character (\\u0000), which no program's arguments or environment can carry"],
    ["args of 131072 bytes", { args: ["x".repeat(131_072)] }, "args[0]", "is 131072 bytes long; Linux refuses an argument or variable of 131072 bytes or more"],
    ["args counted in bytes, not characters", { args: ["é".repeat(70_000)] }, "args[0]", "is 140000 bytes long; Linux refuses an argument or variable of 131072 bytes or more"],
    ["args too large in all", { args: Array.from({ length: 9 }, () => "x".repeat(120_000)) }, "args",
      "the command line and environment come to 1080039 bytes; a config may pass at most 1048576 (1 MiB), since Linux allows 2 MiB in all"],
    ["env too large in all", { env: Object.fromEntries(Array.from({ length: 9 }, (_, index) => [`V${index}`, "x".repeat(120_000)])) }, "env",
      "the command line and environment come to 1080066 bytes; a config may pass at most 1048576 (1 MiB), since Linux allows 2 MiB in all"],
    ["env value with a NUL", { env: { TOKEN: "a\u0000" } }, "env.TOKEN", "holds a NUL character (\\u0000), which no program's arguments or environment can carry"],
    ["env value too long", { env: { PROMPT: "x".repeat(131_070) } }, "env.PROMPT", "is 131077 bytes long; Linux refuses an argument or variable of 131072 bytes or more"],
    ["env name empty", { env: { "": "1" } }, 'env[""]', "has an empty variable name"],
    ["env name with =", { env: { "A=B": "1" } }, 'env["A=B"]', 'the name "A=B" holds "=", where a variable\'s name ends'],
    ["env name with a NUL", { env: { "A\u0000": "1" } }, 'env["A\\u0000"]', "holds a NUL character (\\u0000), which no program's arguments or environment can carry"],
    ["binary with a NUL", { binary: "llama-server\u0000" }, "binary", "holds a NUL character (\\u0000), which no program's arguments or environment can carry"],
    ["binary word with a NUL", { binary: ["llama", "ser\u0000ve"] }, "binary[1]", "holds a NUL character (\\u0000), which no program's arguments or environment can carry"],
    ["model.path with a NUL", { model: { path: "m\u0000.gguf" } }, "model.path", "holds a NUL character (\\u0000), which no program's arguments or environment can carry"],
    ["server.host with a NUL", { server: { host: "127.0.0.1\u0000" } }, "server.host", 'must be an address without spaces or control characters, got "127.0.0.1\\u0000"']
  ])("%s", (_, patch, field, problem) => {
    const found = findings(withPatch(patch))
    expect(found.map((finding) => [finding.field, finding.problem])).toContainEqual([field, problem])
    for (const finding of found) expect(finding.hint).not.toBe("")
  })

  it("refuses a file that is not an object", () => {
    expect(findings([1, 2]).length).toBeGreaterThan(0)
    expect(findings("model").length).toBeGreaterThan(0)
  })

  it("reports every problem of a file at once", () => {
    const found = findings({ model: { path: "" }, server: { port: 0 }, gpu: { backend: "x" }, logs: { keep: 0 } })
    expect(found.map((finding) => finding.field)).toEqual(["model.path", "server.port", "gpu.backend", "logs.keep"])
  })

  it("hints with the field's description", () => {
    const [finding] = findings(withPatch({ server: { port: 0 } }))
    expect(finding?.hint).toBe("TCP port to listen on (--port); required, and unique per host")
  })
})

describe("unknown keys", () => {
  it.each([
    [{ model: { path: "m", contextSize: 4096 } }, "model.contextSize", 'did you mean "context_size"?'],
    [{ servr: { port: 8080 } }, "servr", 'did you mean "server"?'],
    [{ healthcheck: { intervall: "5s" } }, "healthcheck.intervall", 'did you mean "interval"?'],
    [{ restart_policy: { max_retry: 3 } }, "restart_policy.max_retry", 'did you mean "max_retries"?'],
    [{ gpu: { device: 1 } }, "gpu.device", 'did you mean "device_id"?'],
    [{ gatway: {} }, "gatway", 'did you mean "gateway"?'],
    [{ gateway: { alises: ["a"] } }, "gateway.alises", 'did you mean "aliases"?'],
    [{ gateway: { onDemand: true } }, "gateway.onDemand", 'did you mean "on_demand"?'],
    [{ gateway: { groups: "gpu" } }, "gateway.groups", 'did you mean "group"?']
  ])("%j", (patch, field, hint) => {
    const found = findings(withPatch(patch as Record<string, unknown>))
    expect(found).toContainEqual({ field, problem: `unknown key "${field.split(".").pop()}"`, hint })
  })

  it("lists the allowed keys when nothing is close", () => {
    expect(findings(withPatch({ logs: { zzzzzz: 1 } }))).toContainEqual({
      field: "logs.zzzzzz",
      problem: 'unknown key "zzzzzz"',
      hint: "remove it; allowed here: max_size, keep"
    })
  })
})
