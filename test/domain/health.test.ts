import { describe, expect, it } from "vitest"
import { apiKeyOf, classifyAnswer, classifyDeep, deepRequest, servesAlias } from "../../src/domain/health.js"

describe("classifyAnswer", () => {
  it.each([
    [200, '{"status":"ok"}', { result: "ok" }],
    [503, '{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}', { result: "loading" }],
    [503, '{"error":{"code":503,"message":"no slot available","type":"unavailable_error"}}', { result: "error", reason: "HTTP 503: no slot available" }],
    [500, '{"error":{"code":500,"message":"Internal server error","type":"server_error"}}', { result: "error", reason: "HTTP 500: Internal server error" }],
    [404, "File Not Found", { result: "error", reason: "HTTP 404" }],
    [200, "<html>", { result: "error", reason: '200 without {"status":"ok"}: <html>' }]
  ])("%d %s", (status, body, expected) => {
    expect(classifyAnswer(status, body)).toEqual(expected)
  })
})

describe("servesAlias", () => {
  it.each([
    ['{"object":"list","data":[{"id":"qwen","object":"model"}]}', "qwen", true],
    ['{"object":"list","data":[{"id":"coder,qwen"}]}', "qwen", true],
    ['{"object":"list","data":[{"id":"models/7B/ggml-model-f16.gguf"}]}', "qwen", false],
    ["not json", "qwen", false]
  ])("%s names %s: %s", (body, alias, ok) => {
    expect(servesAlias(body, alias).ok).toBe(ok)
  })
})

describe("deep probes", () => {
  it("ask the task queue: GET /slots, or POST /completion for one token", () => {
    expect(deepRequest("slots")).toEqual({ method: "GET", path: "/slots" })
    expect(deepRequest("completion")).toEqual({ method: "POST", path: "/completion", body: '{"prompt":"ping","n_predict":1}' })
  })

  it.each([
    ["slots", 200, "[]", { result: "ok" }],
    ["completion", 200, '{"content":"x"}', { result: "ok" }],
    ["slots", 501, '{"error":{"code":501,"message":"This server does not support slots endpoint."}}',
      { result: "error", reason: "deep probe: this server has no /slots endpoint; add --slots to args, or use deep: completion" }],
    ["completion", 401, '{"error":{"code":401,"message":"Invalid API Key"}}', { result: "error", reason: "deep probe /completion: HTTP 401: Invalid API Key" }]
  ] as const)("%s answering %d", (deep, status, body, expected) => {
    expect(classifyDeep(deep, status, body)).toEqual(expected)
  })

})

describe("apiKeyOf: the key the instance's own llama-server asks of clients", () => {
  it.each<[string, ReadonlyArray<string>, Record<string, string>, string | undefined]>([
    ["none", [], {}, undefined],
    ["none among other flags", ["--ctx-size", "8192", "--jinja"], {}, undefined],
    ["--api-key KEY", ["--api-key", "k1"], {}, "k1"],
    ["--api-key=KEY", ["--api-key=k1"], {}, "k1"],
    ["among other flags", ["--ctx-size", "8192", "--api-key", "k1", "--jinja"], {}, "k1"],
    ["the last one wins (= then space)", ["--api-key=k1", "--api-key", "k2"], {}, "k2"],
    ["the last one wins (space then =)", ["--api-key", "k1", "--api-key=k2"], {}, "k2"],
    ["a value with = in it", ["--api-key=a=b"], {}, "a=b"],
    ["a list of keys: the first", ["--api-key", "k1,k2,k3"], {}, "k1"],
    ["a list of keys with =: the first", ["--api-key=k1,k2"], {}, "k1"],
    ["--api-key-file is not --api-key", ["--api-key-file", "keys.txt"], {}, undefined],
    ["from llama-server's env variable, LLAMA_API_KEY", [], { LLAMA_API_KEY: "e1" }, "e1"],
    ["a list in the env: the first", [], { LLAMA_API_KEY: "e1,e2" }, "e1"],
    ["the flag wins over the env, as in llama-server", ["--api-key", "k1"], { LLAMA_API_KEY: "e1" }, "k1"],
    ["LLAMA_ARG_API_KEY is no variable llama-server reads", [], { LLAMA_ARG_API_KEY: "e1" }, undefined],
    ["an empty key is none", ["--api-key="], {}, undefined],
    ["an empty env is none", [], { LLAMA_API_KEY: "" }, undefined]
  ])("%s", (_, args, env, expected) => {
    expect(apiKeyOf(args, env)).toBe(expected)
  })
})
