import { describe, expect, it } from "vitest"
import { configErrorIn, plainLine } from "../../src/domain/failed-start.js"

describe("configErrorIn: llama-server's words for a mistake no retry mends", () => {
  it.each([
    ["an unknown flag", "error: invalid argument: --bogus"],
    ["a flag's value refused", 'error while handling argument "--ctx-size": stoi'],
    ["a value from the environment refused", 'error while handling environment variable "LLAMA_ARG_THREADS": invalid value'],
    ["an unknown device", "invalid device: Vulkan7"],
    ["a missing model", "gguf_init_from_file: failed to open GGUF file 'gone.gguf' (No such file or directory)"],
    ["an unreadable model", "gguf_init_from_file: failed to open GGUF file 'm.gguf' (Permission denied)"],
    ["a file that is no model", "gguf_init_from_file_impl: invalid magic characters: 'abcd', expected 'GGUF'"],
    ["a model of an unknown architecture", "llama_model_load: error loading model: error loading model architecture: unknown model architecture: 'x'"]
  ])("finds %s", (_, line) => {
    expect(configErrorIn(["build: 1 (abc)", line, "main: exiting due to model loading error"])).toBe(line)
  })

  it.each([
    ["a port held by another process", "start: couldn't bind HTTP server socket, hostname: 127.0.0.1, port: 8080"],
    ["memory held for a moment", "ggml_backend_cpu_buffer_type_alloc_buffer: failed to allocate buffer of size 4294967296"],
    ["a GPU driver not ready", "ggml_vulkan: No devices found."],
    ["a load that failed for another reason", "srv    load_model: failed to load model, 'm.gguf'"]
  ])("leaves %s to be retried", (_, line) => {
    expect(configErrorIn(["build: 1 (abc)", line])).toBeUndefined()
  })

  it("reads lines without llama.cpp's time and level, which a reason does not need", () => {
    expect(plainLine("0.00.008.194 E srv         start: couldn't bind HTTP server socket, hostname: 127.0.0.1, port: 8080")).toBe(
      "srv         start: couldn't bind HTTP server socket, hostname: 127.0.0.1, port: 8080"
    )
    expect(plainLine("12.03.004.005 W DEPRECATED: --mmap and --no-mmap are deprecated")).toBe("DEPRECATED: --mmap and --no-mmap are deprecated")
    expect(plainLine("error: invalid argument: --bogus")).toBe("error: invalid argument: --bogus")
  })
})
