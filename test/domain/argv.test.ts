import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { buildArgv, buildEnv } from "../../src/domain/argv.js"
import { decodeConfig } from "../../src/domain/lint.js"

const config = (raw: Record<string, unknown>) =>
  Either.getOrThrow(decodeConfig({ model: { path: "models/q.gguf" }, server: { port: 8080 }, ...raw }))

describe("buildArgv", () => {
  it.each<[string, Record<string, unknown>, ReadonlyArray<string>]>([
    ["the least config", {}, ["llama-server", "--host", "127.0.0.1", "--port", "8080", "-m", "models/q.gguf", "--alias", "qwen"]],
    ["every optional flag, in order",
      {
        model: { path: "/m/q.gguf", context_size: 8192, batch_size: 512, threads: 8 },
        server: { host: "0.0.0.0", port: 9000, timeout: "10m", parallel: 4 },
        gpu: { backend: "vulkan", device_id: 1, layers: 99 }
      },
      ["llama-server", "--host", "0.0.0.0", "--port", "9000", "-m", "/m/q.gguf", "--ctx-size", "8192", "--batch-size", "512", "--threads", "8",
        "--parallel", "4", "-ngl", "99", "--device", "Vulkan1", "--timeout", "600", "--alias", "qwen"]],
    ["the second CUDA device", { gpu: { backend: "cuda", device_id: 1 } },
      ["llama-server", "--host", "127.0.0.1", "--port", "8080", "-m", "models/q.gguf", "--device", "CUDA1", "--alias", "qwen"]],
    ["no --device for the CPU backend, nor without device_id, nor with select_by environment",
      { gpu: { backend: "vulkan", select_by: "environment", device_id: 1 } }, ["llama-server", "--host", "127.0.0.1", "--port", "8080", "-m", "models/q.gguf", "--alias", "qwen"]],
    ["layers as a word", { gpu: { layers: "all" } }, ["llama-server", "--host", "127.0.0.1", "--port", "8080", "-m", "models/q.gguf", "-ngl", "all", "--alias", "qwen"]],
    ["an argv prefix and extra args, verbatim", { binary: ["llama", "serve"], args: ["--metrics", "--flash-attn", "on", "a b"] },
      ["llama", "serve", "--host", "127.0.0.1", "--port", "8080", "-m", "models/q.gguf", "--alias", "qwen", "--metrics", "--flash-attn", "on", "a b"]],
    ["a binary path", { binary: "/opt/llama.cpp/bin/llama-server" },
      ["/opt/llama.cpp/bin/llama-server", "--host", "127.0.0.1", "--port", "8080", "-m", "models/q.gguf", "--alias", "qwen"]]
  ])("%s", (_, raw, argv) => {
    expect(buildArgv("qwen", config(raw))).toEqual(argv)
  })
})

describe("buildEnv", () => {
  it.each<[string, Record<string, unknown>, Record<string, string>]>([
    ["cpu: no GPU selection", { gpu: { backend: "cpu", device_id: 1 } }, {}],
    ["vulkan by --device: no mask, which would renumber the devices", { gpu: { backend: "vulkan", device_id: 1 } }, {}],
    ["vulkan by environment, for builds too old for --device", { gpu: { backend: "vulkan", device_id: 1, select_by: "environment" } }, { GGML_VK_VISIBLE_DEVICES: "1" }],
    ["cuda by environment", { gpu: { backend: "cuda", device_id: 0, select_by: "environment" } }, { CUDA_VISIBLE_DEVICES: "0" }],
    ["the config's env wins over GPU selection", { gpu: { backend: "cuda", device_id: 0, select_by: "environment" }, env: { CUDA_VISIBLE_DEVICES: "0,1", X: "y" } },
      { CUDA_VISIBLE_DEVICES: "0,1", X: "y" }]
  ])("%s", (_, raw, expected) => {
    expect(buildEnv({ PATH: "/bin", HOME: "/root", DROP: undefined }, "qwen", "/srv/home", config(raw))).toEqual({
      PATH: "/bin",
      HOME: "/root",
      ...expected,
      LLAMA_ORCH_INSTANCE: "qwen",
      LLAMA_ORCH_HOME: "/srv/home"
    })
  })

  it("sets the markers last, so a config cannot hide a server from its daemon", () => {
    const env = buildEnv({}, "qwen", "/h", config({ env: { LLAMA_ORCH_INSTANCE: "other", LLAMA_ORCH_HOME: "/x" } }))
    expect([env["LLAMA_ORCH_INSTANCE"], env["LLAMA_ORCH_HOME"]]).toEqual(["qwen", "/h"])
  })
})
