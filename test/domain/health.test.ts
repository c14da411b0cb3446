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

  it.each([
    [["--api-key", "a"], {}, "a"],
    [["--api-key=b"], { LLAMA_API_KEY: "c" }, "b"],
    [[], { LLAMA_API_KEY: "c" }, "c"],
    [["--metrics"], {}, undefined]
  ])("finds the API key in %j %j", (args, env, key) => {
    expect(apiKeyOf(args, env)).toBe(key)
  })
})
