import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { type Usage, carriesToken, usageOf } from "../../src/domain/usage.js"
import { TAIL_BYTES, makeTail } from "../../src/http/gateway/tail.js"

/**
 * What an answer says of its own work, read from its tail as it passes through the gateway. The
 * answers are llama-server's, in its shapes and key order (usage: completion_tokens, prompt_tokens,
 * total_tokens, prompt_tokens_details.cached_tokens; timings: cache_n, prompt_n, prompt_ms,
 * prompt_per_token_ms, prompt_per_second, predicted_n, predicted_ms, predicted_per_token_ms,
 * predicted_per_second). Its usage.prompt_tokens counts the whole prompt, cached tokens included;
 * its timings.prompt_n only the tokens it processed, cache_n the ones it took from its cache.
 */

const RUNS = 200

const none: Usage = { prompt_tokens: null, completion_tokens: null, tokens_per_second: null }
const usage = (prompt_tokens: number | null, completion_tokens: number | null, tokens_per_second: number | null): Usage => ({ prompt_tokens, completion_tokens, tokens_per_second })

// ---- a second turn of a chat, 20 of its 45 prompt tokens from the cache, as llama-server answers it
const USAGE = `{"completion_tokens":8,"prompt_tokens":45,"total_tokens":53,"prompt_tokens_details":{"cached_tokens":20}}`
const TIMINGS = `{"cache_n":20,"prompt_n":25,"prompt_ms":31.024,"prompt_per_token_ms":1.24096,"prompt_per_second":805.8277462609593,` +
  `"predicted_n":8,"predicted_ms":42.51,"predicted_per_token_ms":5.31375,"predicted_per_second":188.19101387908728}`
const THE_TURN = usage(45, 8, 188.19)
const HEAD = `"created":1748264000,"model":"qwen2.5-0.5b-instruct","system_fingerprint":"b5500-80fb11a7"`
const CHUNK_HEAD = `"created":1748264000,"id":"chatcmpl-Xk2rVq9mP0aLtB7nW4yE3uZ8sC1dF6gH","model":"qwen2.5-0.5b-instruct","system_fingerprint":"b5500-80fb11a7","object":"chat.completion.chunk"`

const CHAT_BODY = `{"choices":[{"finish_reason":"stop","index":0,"message":{"role":"assistant","content":"The capital of France is Paris."}}],` +
  `${HEAD},"object":"chat.completion","usage":${USAGE},"id":"chatcmpl-Xk2rVq9mP0aLtB7nW4yE3uZ8sC1dF6gH","timings":${TIMINGS}}`

const event = (data: string) => `data: ${data}\n\n`
const delta = (content: string) => event(`{"choices":[{"finish_reason":null,"index":0,"delta":{"content":${JSON.stringify(content)}}}],${CHUNK_HEAD}}`)
const ROLE = event(`{"choices":[{"finish_reason":null,"index":0,"delta":{"role":"assistant","content":null}}],${CHUNK_HEAD}}`)
const TOKENS = ["The", " capital", " of", " France", " is", " Paris", ".", ""].map(delta).join("")

/** Streamed: the role, a chunk a token, the finish with the timings, [DONE]. */
const CHAT_STREAM = ROLE + TOKENS + event(`{"choices":[{"finish_reason":"stop","index":0,"delta":{}}],${CHUNK_HEAD},"timings":${TIMINGS}}`) + "data: [DONE]\n\n"
/** Streamed with stream_options.include_usage: the finish, then a chunk of no choices with usage and timings. */
const CHAT_STREAM_USAGE = ROLE + TOKENS + event(`{"choices":[{"finish_reason":"stop","index":0,"delta":{}}],${CHUNK_HEAD}}`) +
  event(`{"choices":[],${CHUNK_HEAD},"usage":${USAGE},"timings":${TIMINGS}}`) + "data: [DONE]\n\n"
/** /v1/completions streamed: its last chunk carries usage and timings. */
const TEXT_STREAM = event(`{"choices":[{"text":" Paris","index":0,"logprobs":null,"finish_reason":null}],${HEAD},"object":"text_completion","id":"chatcmpl-a"}`) +
  event(`{"choices":[{"text":"","index":0,"logprobs":null,"finish_reason":"stop"}],${HEAD},"object":"text_completion","usage":${USAGE},"id":"chatcmpl-a","timings":${TIMINGS}}`) +
  "data: [DONE]\n\n"
/** llama.cpp's own /completion: no usage; its settings (with a timings_per_token flag) before the timings. */
const NATIVE_BODY = `{"index":0,"content":"Paris.","tokens":[],"id_slot":0,"stop":true,"model":"qwen2.5-0.5b-instruct","tokens_predicted":8,"tokens_evaluated":45,` +
  `"generation_settings":{"n_predict":-1,"seed":4294967295,"temperature":0.800000011920929,"samplers":["penalties","top_k","temperature"],"timings_per_token":false,"lora":[]},` +
  `"prompt":"<|im_start|>user\\nWhat is {the} capital of \\"France\\"?<|im_end|>","has_new_line":false,"truncated":false,"stop_type":"eos","stopping_word":"","tokens_cached":52,"timings":${TIMINGS}}`

/** The tail after `chunks` passed, and the most it held on the way. */
const through = (chunks: ReadonlyArray<Buffer>) => {
  const tail = makeTail()
  let most = 0
  for (const chunk of chunks) {
    tail.add(chunk)
    most = Math.max(most, tail.bytes().length)
  }
  return { bytes: tail.bytes(), most }
}

describe("makeTail: at least the last TAIL_BYTES of what passed, at most twice that", () => {
  const a = "a".repeat(TAIL_BYTES)
  const c = "c".repeat(TAIL_BYTES)
  it.each<[string, ReadonlyArray<string | Buffer>, string]>([
    ["nothing passed", [], ""],
    ["a first chunk", ["abc"], "abc"],
    ["a chunk after a tail", ["abc", "def"], "abcdef"],
    ["an empty chunk changes nothing", ["abc", ""], "abc"],
    ["a full tail and one more: kept whole, under twice TAIL_BYTES", [a, "b"], `${a}b`],
    ["twice TAIL_BYTES and one more: cut back to the last TAIL_BYTES", [`x${a}`, `${c.slice(1)}b`], `${c.slice(1)}b`],
    ["a chunk over twice TAIL_BYTES: its end", ["xyz", `d${c}${c}`], c],
    ["a character cut between two chunks is whole", [Buffer.from([0x63, 0x61, 0x66, 0xc3]), Buffer.from([0xa9])], "café"]
  ])("%s", (_, chunks, expected) => {
    const passed = through(chunks.map((chunk) => Buffer.from(chunk)))
    expect(passed.most).toBeLessThanOrEqual(2 * TAIL_BYTES)
    expect(passed.bytes.toString("utf8")).toBe(expected)
  })

  it("over any chunking, ends with the last TAIL_BYTES of the whole, never more than twice that on the way", () => {
    const short = fc.uint8Array({ maxLength: 40 })
    const long = fc.tuple(fc.nat({ max: TAIL_BYTES + 2_000 }), fc.integer({ min: 0, max: 255 })).map(([n, byte]) => new Uint8Array(n).fill(byte))
    fc.assert(
      fc.property(fc.array(fc.oneof(short, long), { maxLength: 20 }), (arrays) => {
        const chunks = arrays.map((array) => Buffer.from(array))
        const whole = Buffer.concat(chunks)
        const { bytes, most } = through(chunks)
        expect(most).toBeLessThanOrEqual(2 * TAIL_BYTES)
        expect(bytes.length).toBeGreaterThanOrEqual(Math.min(whole.length, TAIL_BYTES))
        expect(whole.subarray(whole.length - bytes.length).equals(bytes)).toBe(true)
      }),
      { numRuns: RUNS }
    )
  })
})

describe("carriesToken: whether a piece of a stream carries generated text", () => {
  it.each<[string, string, boolean]>([
    ['"content":"x"', `"content":"x"`, true],
    ['"text":"x"', `"text":"x"`, true],
    ["a reasoning model's thinking comes first", `"delta":{"reasoning_content":"Let"}`, true],
    ['"reasoning_content":null', `"reasoning_content":null`, false],
    ["spaces around the colon", `"content" : "x"`, true],
    ["a token that is a space", `"content":" "`, true],
    ["a token that is a quote", `"content":"\\""`, true],
    ['"content":null (the role-only first chunk)', `"content":null`, false],
    ['"content":"" (an empty token)', `"content":""`, false],
    ["the role-only first chunk of a chat", ROLE, false],
    ["a chat chunk with a token", delta(" Paris"), true],
    ["a chat's finish chunk (delta {}, timings)", event(`{"choices":[{"finish_reason":"stop","index":0,"delta":{}}],${CHUNK_HEAD},"timings":${TIMINGS}}`), false],
    ["a chunk of usage and timings only", event(`{"choices":[],${CHUNK_HEAD},"usage":${USAGE},"timings":${TIMINGS}}`), false],
    ["a text completion chunk with a token", event(`{"choices":[{"text":" Paris","index":0,"logprobs":null,"finish_reason":null}]}`), true],
    ["a text completion's last chunk (text \"\")", event(`{"choices":[{"text":"","index":0,"logprobs":null,"finish_reason":"stop"}]}`), false],
    ["a /completion partial", event(`{"index":0,"content":" the","tokens":[279],"stop":false,"id_slot":-1,"tokens_predicted":1,"tokens_evaluated":6}`), true],
    ["[DONE]", "data: [DONE]\n\n", false],
    ["a piece with the role chunk and a token chunk together", ROLE + delta("The"), true],
    ["nothing", "", false]
  ])("%s", (_, chunk, expected) => {
    expect(carriesToken(chunk)).toBe(expected)
  })
})

describe("usageOf: tokens and speed from an answer's tail", () => {
  it.each<[string, string, Usage]>([
    // ---- llama-server's answers
    ["a chat answer", CHAT_BODY, THE_TURN],
    ["a streamed chat: timings only, the prompt counted as usage counts it (processed + cached)", CHAT_STREAM, THE_TURN],
    ["a streamed chat with include_usage", CHAT_STREAM_USAGE, THE_TURN],
    ["a streamed text completion", TEXT_STREAM, THE_TURN],
    ["llama.cpp's own /completion: timings only", NATIVE_BODY, THE_TURN],
    ["a tail that begins in the middle of the answer", CHAT_BODY.slice(40), THE_TURN],
    ["a stream's tail that begins in the middle of its last chunk", CHAT_STREAM.slice(CHAT_STREAM.lastIndexOf('"finish_reason"')), THE_TURN],
    // ---- nothing to read
    ["nothing", "", none],
    ["an error body", `{"error":{"code":500,"message":"the {model} said \\"no\\"","type":"server_error"}}`, none],
    ["a stream cut off before its end", ROLE + TOKENS, none],
    // ---- which object, which field
    ["usage alone (its prompt_tokens_details nested inside)", `{"usage":${USAGE}}`, usage(45, 8, null)],
    ["timings alone", `{"timings":${TIMINGS}}`, THE_TURN],
    ["usage's counts over timings'", `{"usage":{"completion_tokens":9,"prompt_tokens":99},"timings":${TIMINGS}}`, usage(99, 9, 188.19)],
    ["timings without cache_n (an older server): prompt_n alone", `{"timings":{"prompt_n":25,"predicted_n":8,"predicted_per_second":10}}`, usage(25, 8, 10)],
    ["timings with no prompt_n: no prompt count, whatever cache_n says", `{"timings":{"cache_n":20,"predicted_n":8}}`, usage(null, 8, null)],
    ["a field usage lacks comes from timings", `{"usage":{"completion_tokens":5},"timings":{"cache_n":1,"prompt_n":3,"predicted_n":7}}`, usage(4, 5, null)],
    ["a usage that is null: timings instead", `{"usage":null,"timings":${TIMINGS}}`, THE_TURN],
    ["the last usage and timings count", `data: {"usage":{"completion_tokens":1,"prompt_tokens":2},"timings":{"predicted_per_second":3}}\n\n` +
      `data: {"usage":{"completion_tokens":4,"prompt_tokens":5},"timings":{"predicted_per_second":6}}\n\n`, usage(5, 4, 6)],
    ["pretty-printed", `{\n  "usage" : {\n    "completion_tokens": 8,\n    "prompt_tokens": 45\n  },\n  "timings": {\n    "predicted_per_second": 41.666666\n  }\n}`, usage(45, 8, 41.67)],
    // ---- the speed
    ["the speed rounded to 2 decimals", `{"timings":{"predicted_per_second":41.666666}}`, usage(null, null, 41.67)],
    ["a speed under half a hundredth: 0", `{"timings":{"predicted_per_second":0.004}}`, usage(null, null, 0)],
    ["a whole speed", `{"timings":{"predicted_per_second":12}}`, usage(null, null, 12)],
    ["a negative speed is none", `{"timings":{"predicted_per_second":-1}}`, none],
    ["a speed as a string is none", `{"timings":{"predicted_per_second":"12"}}`, none],
    // ---- counts that are not counts
    ["negative, fractional or quoted counts are none", `{"usage":{"completion_tokens":2.5,"prompt_tokens":-1},"timings":{"prompt_n":"7","predicted_n":null}}`, none],
    // ---- strings that look like what is read
    ["braces and quotes in the text before", `{"choices":[{"message":{"content":"a } { \\" [ \\\\ brace"}}],"usage":${USAGE},"timings":${TIMINGS}}`, THE_TURN],
    ["braces, quotes and backslashes in strings inside the objects", String.raw`{"usage":{"note":"} { \" \\","prompt_tokens":7,"completion_tokens":5},"timings":{"s":"\\","t":"}","predicted_per_second":10}}`,
      usage(7, 5, 10)],
    ["usage written in the generated text is not read", delta('say "usage": {"prompt_tokens": 999} and "timings": {') +
      event(`{"choices":[{"finish_reason":"stop","index":0,"delta":{}}],"timings":{"cache_n":0,"prompt_n":3,"predicted_n":2,"predicted_per_second":5}}`), usage(3, 2, 5)],
    // ---- cut off
    ["a truncated usage: none", `{"choices":[],"usage":{"completion_tokens":8,"prompt_tok`, none],
    ["a truncated usage object nested one deeper: none", `{"usage":{"completion_tokens":8,"prompt_tokens":45,"prompt_tokens_details":{"cached_tokens":20}`, none],
    ["a whole usage, truncated timings: counts, no speed", `{"usage":${USAGE},"id":"x","timings":${TIMINGS.slice(0, -30)}`, usage(45, 8, null)],
    ["a key with no object after it", `{"usage":"n/a","x":{"prompt_tokens":1}}`, none],
    ["an object that does not parse", `{"usage":{"prompt_tokens":1,,}}`, none]
  ])("%s", (_, tail, expected) => {
    expect(usageOf(tail)).toEqual(expected)
  })

  /** An answer of llama-server's in each of its shapes, with the content and numbers given. */
  interface Answer {
    readonly shape: "chat" | "chat stream" | "chat stream with usage" | "text stream" | "completion"
    readonly content: string
    readonly prompt: number
    readonly cached: number
    readonly completion: number
    readonly speed: number
  }
  const bodyOf = ({ shape, content, prompt, cached, completion, speed }: Answer): string => {
    const usage = { completion_tokens: completion, prompt_tokens: prompt, total_tokens: prompt + completion, prompt_tokens_details: { cached_tokens: cached } }
    const timings = { cache_n: cached, prompt_n: prompt - cached, prompt_ms: 1.5, prompt_per_token_ms: 0.1, prompt_per_second: 900.5, predicted_n: completion, predicted_ms: 2.5, predicted_per_token_ms: 0.3, predicted_per_second: speed }
    const head = { created: 1748264000, id: "chatcmpl-a", model: "m", system_fingerprint: "b1-x", object: "chat.completion.chunk" }
    const json = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`
    const deltas = (pieces: ReadonlyArray<string>) => pieces.map((piece) => json({ choices: [{ finish_reason: null, index: 0, delta: { content: piece } }], ...head })).join("")
    const pieces = content.match(/[\s\S]{1,7}/gu) ?? []
    switch (shape) {
      case "chat":
        return JSON.stringify({ choices: [{ finish_reason: "stop", index: 0, message: { role: "assistant", content } }], created: 1, model: "m", system_fingerprint: "b1-x", object: "chat.completion", usage, id: "chatcmpl-a", timings })
      case "chat stream":
        return deltas(pieces) + json({ choices: [{ finish_reason: "stop", index: 0, delta: {} }], ...head, timings }) + "data: [DONE]\n\n"
      case "chat stream with usage":
        return deltas(pieces) + json({ choices: [{ finish_reason: "stop", index: 0, delta: {} }], ...head }) + json({ choices: [], ...head, usage, timings }) + "data: [DONE]\n\n"
      case "text stream":
        return pieces.map((text) => json({ choices: [{ text, index: 0, logprobs: null, finish_reason: null }], id: "a" })).join("") +
          json({ choices: [{ text: "", index: 0, logprobs: null, finish_reason: "stop" }], usage, id: "a", timings }) + "data: [DONE]\n\n"
      case "completion":
        return JSON.stringify({ index: 0, content, tokens: [], stop: true, tokens_predicted: completion, tokens_evaluated: prompt, prompt: content, timings })
    }
  }

  const tricky = fc.string({ unit: fc.constantFrom("{", "}", "[", "]", '"', "\\", ":", ",", "a", " ", "\n", "é", "😀", '"usage":{', '"timings":{', "usage", "data: ", "[DONE]"), maxLength: 40 })
  const answer: fc.Arbitrary<Answer> = fc.record({
    shape: fc.constantFrom<Answer["shape"]>("chat", "chat stream", "chat stream with usage", "text stream", "completion"),
    content: fc.tuple(tricky, fc.nat({ max: TAIL_BYTES + 2_000 }), tricky).map(([before, pad, after]) => before + "x".repeat(pad) + after),
    prompt: fc.nat({ max: 200_000 }),
    cached: fc.nat({ max: 1_000_000 }),
    completion: fc.nat({ max: 100_000 }),
    speed: fc.double({ min: 0, max: 10_000, noNaN: true }).map(Math.abs)
  }).map((drawn) => ({ ...drawn, cached: drawn.cached % (drawn.prompt + 1) }))

  it("an answer of any shape and content, cut anywhere (in a character too), through the tail: the whole answer's usage, its own numbers", () => {
    fc.assert(
      fc.property(answer, fc.array(fc.nat(), { maxLength: 20 }), (drawn, cuts) => {
        const body = bodyOf(drawn)
        const bytes = Buffer.from(body)
        const at = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((x, y) => x - y)
        const chunks = [0, ...at].map((from, i) => bytes.subarray(from, [...at, bytes.length][i]))
        expect(Buffer.concat(chunks).equals(bytes)).toBe(true)
        const tail = through(chunks).bytes.toString("utf8")
        const expected = usage(drawn.prompt, drawn.completion, Math.round(drawn.speed * 100) / 100)
        expect(usageOf(tail)).toEqual(usageOf(body))
        expect(usageOf(tail)).toEqual(expected)
      }),
      { numRuns: RUNS }
    )
  })
})
