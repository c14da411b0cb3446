import { describe, expect, it } from "vitest"
import { classifyAnswer, servesAlias } from "../../src/domain/health.js"

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
