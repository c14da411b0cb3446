import { describe, expect, it } from "vitest"
import type { Event } from "../../src/domain/events.js"
import { fold } from "../../src/domain/instances.js"
import { redactArgv, redactConfig, redactEnv, redactEvent, redactState } from "../../src/domain/redact.js"

describe("redaction", () => {
  it("hides --api-key values in both spellings", () => {
    expect(redactArgv(["llama-server", "--api-key", "s3cret", "--port", "1", "--api-key=other", "--hf-token", "t"])).toEqual([
      "llama-server", "--api-key", "***", "--port", "1", "--api-key=***", "--hf-token", "***"
    ])
  })

  it("hides env values named like keys, tokens and secrets", () => {
    expect(redactEnv({ HF_TOKEN: "a", OPENAI_API_KEY: "b", MY_SECRET: "c", DB_PASSWORD: "d", PATH: "/bin", LLAMA_ARG_MLOCK: "1" })).toEqual({
      HF_TOKEN: "***", OPENAI_API_KEY: "***", MY_SECRET: "***", DB_PASSWORD: "***", PATH: "/bin", LLAMA_ARG_MLOCK: "1"
    })
  })

  it.each([
    { config: { model: { path: "m.gguf" } }, shown: { model: { path: "m.gguf" } } },
    { config: { args: ["--api-key", "k1", "--api-key-file=/k", "-c", "4096"] }, shown: { args: ["--api-key", "***", "--api-key-file=***", "-c", "4096"] } },
    { config: { env: { HF_TOKEN: "t", CUDA_VISIBLE_DEVICES: "0" } }, shown: { env: { HF_TOKEN: "***", CUDA_VISIBLE_DEVICES: "0" } } }
  ])("redacts a config's args and env for showing: %o", ({ config, shown }) => {
    expect(redactConfig(config)).toEqual(shown)
  })

  it("hides the secrets of the events that carry a config or an argv, and leaves the rest as they are", () => {
    const applied: Event = { _tag: "ConfigApplied", config: { args: ["--api-key", "k1"], env: { HF_TOKEN: "t" } }, hash: "h" }
    expect(redactEvent(applied)).toEqual({ _tag: "ConfigApplied", config: { args: ["--api-key", "***"], env: { HF_TOKEN: "***" } }, hash: "h" })
    const spawned: Event = { _tag: "ProcessSpawned", pid: 1, start_time: "1", argv: ["llama-server", "--api-key=k1"], stdout: "o", stderr: "e" }
    expect(redactEvent(spawned)).toMatchObject({ argv: ["llama-server", "--api-key=***"] })
    const probed: Event = { _tag: "HealthProbed", result: "ok", status: 200, latency_ms: 1, path: "/health" }
    expect(redactEvent(probed)).toBe(probed)
  })

  it("hides every instance's config in a folded state, as written and decoded", () => {
    const written = { model: { path: "m" }, server: { port: 1 }, args: ["--api-key", "k1"], env: { API_KEY: "k" } }
    const state = fold([{ seq: 1, at: 1, instance: "a", event: { _tag: "ConfigApplied", config: written, hash: "h" } }])
    expect(redactState(state).instances["a"]!.config).toEqual({ ...written, args: ["--api-key", "***"], env: { API_KEY: "***" } })
    expect(redactState(state).instances["a"]!.decoded_config).toMatchObject({ args: ["--api-key", "***"], env: { API_KEY: "***" }, stop_timeout: 10_000 })
    expect(state.instances["a"]!.config).toMatchObject({ env: { API_KEY: "k" } })
    expect(state.instances["a"]!.decoded_config).toMatchObject({ args: ["--api-key", "k1"], env: { API_KEY: "k" } })
  })
})
