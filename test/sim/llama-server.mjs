#!/usr/bin/env node
// A stand-in for llama.cpp's llama-server, for tests and the demo on machines without it.
// It follows ../../../shared/llama-server.md: the flags orch generates, llama-server's log lines
// and error messages, /health answering 503 while "loading" and 200 after. Where the real
// server and this file differ, this file is wrong.
//
// Checked against the real server (llama.cpp 80fb11a, 2026-09, built by scripts/llama-server.mjs;
// test/real runs it). Differences found there and fixed here:
//   - log lines carry llama.cpp's timestamp and level ("0.00.010.574 E srv  ..."); the listening
//     line comes after "model loaded", as "llama_server: listening on http://H:P"
//   - while loading, every path answers 503, unknown ones and POSTs too, with the keys in the
//     order message, type, code
//   - --list-devices on a CPU build prints "  (none)" under "Available devices:"
//   - a missing model says "(No such file or directory)" and "llama_server: exiting due to model
//     loading error"; a held port "start: couldn't bind HTTP server socket, hostname: H, port: P"
//   - no -m starts a router: /health ok, /v1/models empty, --alias ignored
//   - SIGTERM while loading: killed by it (143); with a request in flight: the listener closes,
//     the server waits for the client to go, then exits 0; a second SIGTERM exits 1 at once
//   - /v1/completions is OpenAI's text completion (object "text_completion", a "chatcmpl-" id all
//     the same), not /completion under another name; /completions and /chat/completions are aliases
//     of /completion and /v1/chat/completions
//   - chat, streamed: a first chunk with delta {role: "assistant", content: null}, a chunk per
//     token, a chunk with finish_reason and delta {} that carries the timings, then "data: [DONE]";
//     with stream_options.include_usage the timings move to one more chunk, choices [], that
//     carries usage and timings. /v1/completions' last chunk carries usage and timings always.
//     /completion streams its partial objects then the final one, with no [DONE]. The headers go
//     out with the first token. finish_reason is "length" (stop_type "limit") when n_predict /
//     max_tokens / max_completion_tokens ended it (n_predict wins; 0 still gives one token)
//   - usage: completion_tokens, prompt_tokens, total_tokens, prompt_tokens_details.cached_tokens;
//     timings: cache_n, prompt_n, prompt_ms, prompt_per_token_ms, prompt_per_second, predicted_n,
//     predicted_ms, predicted_per_token_ms, predicted_per_second; keys in the real server's order
//   - a client that goes mid-completion cancels it ("W srv          stop: cancel task, id_task = N");
//     the tokens made so far count in llamacpp:tokens_predicted_total
//   - /slots' is_processing and llamacpp:requests_processing count the requests being served, not
//     the GET that asks (which made an idle one-slot server look busy)
//   - embeddings need --embeddings (or --reranking), else 501 "...Start it with `--embeddings`";
//     /embeddings, /embedding, and "content" instead of "input", answer llama.cpp's own shape
//     [{index, embedding: [[...]]}]; --pooling none refuses /v1/embeddings (400), L2-normalised
//   - /rerank, /reranking, /v1/rerank, /v1/reranking need --reranking, else 501 "...Start it with
//     `--reranking`"; results sorted by relevance_score, cut to top_n
//   - /tokenize prefixes the text with a space, as SentencePiece does; an unknown token id in
//     /detokenize is a 500 (vector::_M_range_check), in a prompt a 400 "Prompt contains invalid tokens"
//   - a body that is not JSON is a 500 server_error "[json.exception.parse_error.101] ..."; the 401
//     body's keys are in the order message, type, code
//   - with --api-key, only /health and /v1/health are public: /v1/models and /models ask for the
//     key too, and the key is checked before the route, so an unknown path without it is a 401,
//     with it a 404; --api-key k1,k2 takes either key, never "k1,k2" (checked 2026-12 against 80fb11a)
// Known differences, kept:
//   - the real /v1/models also lists "models" (Ollama's shape), aliases, tags and more meta (n_ctx,
//     ftype)
//   - the "model": a vocabulary of <unk> <s> </s>, 256 byte tokens and a few words, which
//     completions cycle through; n_embd 288 with mean pooling by default (the real tiny test model
//     has none, so the real server needs --pooling mean for /v1/embeddings); embeddings are
//     pseudo-random per token and mean-pooled, rerank scores their cosines (real scores are logits);
//     a chat becomes a ChatML prompt; infill is served (the tiny test model has no FIM tokens, so
//     the real one answers 501 there) with the prefix and suffix as its prompt
//   - prompt timings are nominal (0.05 ms a token, about the real tiny model's rate), generation
//     timings measured; cache_n and cached_tokens are 0 (no prompt cache)
//   - generation_settings carries temperature, max_tokens, n_predict and stream only; JSON parse
//     errors are worded by Node; stop words, n > 1, several prompts in one completion (refused
//     with a 400), prompts that mix strings and tokens, logprobs and SSE pings are not simulated
//
// Test-only switches (never passed to the real server):
//   --sim-load-ms N          time to "load the model" (default 200)
//   --sim-crash-after-ms N   exit by itself N ms after start ...
//   --sim-crash-code N       ... with this exit code (default 1) ...
//   --sim-crash-signal SIG   ... or by this signal, e.g. SIGABRT or SIGSEGV
//   --sim-hang-after-ms N    after N ms, accept connections but never answer (a hung process)
//   --sim-wedge-after-ms N   after N ms, answer /health and /v1/models but nothing else (a wedged GPU context)
//   --sim-health-status N    answer /health with this status once loaded (e.g. 500)
//   --sim-ignore-sigterm     log SIGTERM and carry on (a busy server that will not stop)
//   --sim-stop-ms N          time from SIGTERM to exit (default 50; the real one takes ~2 s)
//   --sim-devices A,B        GPUs this "build" has (Vulkan0,CUDA1...): --list-devices prints them, and
//                            --device accepts only them (or none), as the real server does
//   --sim-tokens N           tokens a completion makes when the request sets no n_predict / max_tokens
//                            (default 8); it then ends as by end of stream (finish_reason "stop")
//   --sim-token-ms N         time to make each token (default 0); streamed, each token is its own event
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as http from "node:http"

const VALUE_FLAGS = new Map([
  ["-m", "model"], ["--model", "model"],
  ["--host", "host"], ["--port", "port"],
  ["-a", "alias"], ["--alias", "alias"],
  ["-c", "ctx"], ["--ctx-size", "ctx"],
  ["-b", "batch"], ["--batch-size", "batch"],
  ["-t", "threads"], ["--threads", "threads"],
  ["-np", "parallel"], ["--parallel", "parallel"],
  ["-ngl", "gpuLayers"], ["--gpu-layers", "gpuLayers"], ["--n-gpu-layers", "gpuLayers"],
  ["-dev", "device"], ["--device", "device"],
  ["--api-key", "apiKey"], ["--timeout", "timeout"], ["--pooling", "pooling"],
  ["--sim-load-ms", "loadMs"], ["--sim-crash-after-ms", "crashAfterMs"], ["--sim-crash-code", "crashCode"],
  ["--sim-crash-signal", "crashSignal"], ["--sim-hang-after-ms", "hangAfterMs"],
  ["--sim-wedge-after-ms", "wedgeAfterMs"],
  ["--sim-health-status", "healthStatus"], ["--sim-stop-ms", "stopMs"], ["--sim-devices", "devices"],
  ["--sim-token-ms", "tokenMs"], ["--sim-tokens", "tokens"]
])
const SWITCHES = new Map([
  ["--metrics", "metrics"], ["--slots", "slots"], ["--no-slots", "noSlots"], ["--list-devices", "listDevices"], ["--version", "version"],
  ["--embedding", "embeddings"], ["--embeddings", "embeddings"], ["--rerank", "reranking"], ["--reranking", "reranking"],
  ["--sim-ignore-sigterm", "ignoreSigterm"]
])

const started = Date.now()
const log = (line) => process.stderr.write(`${line}\n`)
/** A line through llama.cpp's logger: minutes.seconds.millis.micros since start, then the level. */
const logAs = (level, line) => {
  const us = Math.floor(performance.now() * 1000)
  const stamp = `${Math.floor(us / 60e6)}.${String(Math.floor(us / 1e6) % 60).padStart(2, "0")}.${String(Math.floor(us / 1000) % 1000).padStart(3, "0")}.${String(us % 1000).padStart(3, "0")}`
  log(`${stamp} ${level} ${line}`)
}

const parseArgs = (argv) => {
  const options = { host: "127.0.0.1", port: "8080", loadMs: "200", crashCode: "1", stopMs: "50", tokenMs: "0", tokens: "8" }
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].startsWith("--") && argv[i].includes("=") ? argv[i].split(/=(.*)/s) : [argv[i], undefined]
    if (SWITCHES.has(flag)) {
      options[SWITCHES.get(flag)] = true
    } else if (VALUE_FLAGS.has(flag)) {
      const value = inline ?? argv[++i]
      if (value === undefined) {
        log(`error while handling argument "${flag}": expected value for argument`)
        process.exit(1)
      }
      options[VALUE_FLAGS.get(flag)] = value
    } else {
      log(`error: invalid argument: ${flag}`)
      process.exit(1)
    }
  }
  return options
}

const options = parseArgs(process.argv.slice(2))

// Like llama.cpp's common arguments: the build number and commit, then the compiler, on stderr.
if (options.version) {
  log("version: 0 (simulator)")
  log(`built with node ${process.version} for ${process.platform}-${process.arch}`)
  process.exit(0)
}

const devices = (options.devices ?? "").split(",").filter((name) => name !== "")
if (options.listDevices) {
  const lines = devices.map((name, index) => `  ${name}: Simulated GPU ${index} (8192 MiB, ${8000 - index} MiB free)`)
  process.stdout.write(`Available devices:\n${lines.length === 0 ? "  (none)" : lines.join("\n")}\n`)
  process.exit(0)
}
for (const device of (options.device ?? "").split(",").filter((name) => name !== "" && name !== "none")) {
  if (!devices.includes(device)) {
    log(`error while handling argument "--device": invalid device: ${device}`)
    log("")
    log("usage:")
    log("-dev,  --device <dev1,dev2,..>          comma-separated list of devices to use for offloading (none = don't")
    process.exit(1)
  }
}

if (options.pooling !== undefined && !["none", "mean", "cls", "last", "rank"].includes(options.pooling)) {
  log('error while handling argument "--pooling": invalid value')
  log("")
  log("usage:")
  log("--pooling {none,mean,cls,last,rank}     pooling type for embeddings, use model default if unspecified")
  process.exit(1)
}

const modelPath = options.model
// With no model it is a router that loads models on demand: it serves none of its own.
const router = modelPath === undefined
const alias = options.alias ?? modelPath
const slots = Math.max(1, Number(options.parallel ?? 1))
let loaded = router
let hung = false
let wedged = false

logAs("I", `build: 0 (simulator) with node ${process.version} for ${process.platform}-${process.arch}`)
logAs("I", `system info: n_threads = ${options.threads ?? 4}, n_threads_batch = ${options.threads ?? 4}, total_threads = 4`)

const json = (res, status, body) => {
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8" })
  res.end(JSON.stringify(body))
}
const apiError = (res, code, message, type) => json(res, code, { error: { code, message, type } })
const loading = (res) => json(res, 503, { error: { message: "Loading model", type: "unavailable_error", code: 503 } })

/** An error a handler answers with; any other error is answered 500, as by llama-server's exception wrapper. */
class Refused extends Error {
  constructor(code, message, type) {
    super(message)
    this.code = code
    this.type = type
  }
}
const invalid = (message) => {
  throw new Refused(400, message, "invalid_request_error")
}

const readText = (req) =>
  new Promise((resolve) => {
    let text = ""
    req.on("data", (chunk) => (text += chunk))
    req.on("end", () => resolve(text))
  })

// The vocabulary is laid out as llama's SentencePiece ones: <unk>, <s>, </s>, the 256 byte tokens,
// then whole words, each with its leading space. Text gets a leading space, as SentencePiece adds
// one, and a word outside the vocabulary falls back to its UTF-8 bytes. Completions cycle through
// the words.
const CONTROL = ["<unk>", "<s>", "</s>"]
const BOS = 1
const FIRST_BYTE = CONTROL.length
const FIRST_WORD = FIRST_BYTE + 256
const WORDS = "Hello from the llama server simulator one word per token".split(" ").map((word) => ` ${word}`)
const WORD_IDS = new Map(WORDS.map((word, index) => [word, FIRST_WORD + index]))
const N_VOCAB = FIRST_WORD + WORDS.length
const N_EMBD = 288

const tokenize = (text) =>
  text === "" ? [] : ` ${text}`.match(/ ?[^ ]+| /g).flatMap((piece) => WORD_IDS.get(piece) ?? [...Buffer.from(piece)].map((byte) => FIRST_BYTE + byte))
const bytesOf = (id) => Buffer.from(id < FIRST_BYTE ? CONTROL[id] : id < FIRST_WORD ? [id - FIRST_BYTE] : WORDS[id - FIRST_WORD])
const detokenize = (tokens) => {
  const outside = tokens.find((id) => !(Number.isInteger(id) && id >= 0 && id < N_VOCAB))
  if (outside !== undefined) throw new Error(`vector::_M_range_check: __n (which is ${outside}) >= this->size() (which is ${N_VOCAB})`)
  return Buffer.concat(tokens.map(bytesOf)).toString("utf8")
}
const utf8 = new TextDecoder("utf-8", { fatal: true })
/** A token's text, or its bytes when they are not UTF-8 by themselves, as /tokenize's with_pieces shows it. */
const pieceOf = (id) => {
  const bytes = bytesOf(id)
  try {
    return utf8.decode(bytes)
  } catch {
    return [...bytes]
  }
}

/**
 * The prompts of a request as llama-server reads them: a string, a list of tokens, or a list of
 * either. A string gets a BOS token; tokens are taken as they are.
 */
const promptsOf = (input) => {
  if (Array.isArray(input) && input.length === 0) throw new Error('"prompt" must not be empty')
  const isTokens = (prompt) => Array.isArray(prompt) && prompt.every(Number.isInteger)
  const tokensOf = (prompt) => (typeof prompt === "string" ? [BOS, ...tokenize(prompt)] : prompt)
  if (typeof input === "string" || isTokens(input)) return [tokensOf(input)]
  if (!Array.isArray(input) || !input.every((prompt) => typeof prompt === "string" || isTokens(prompt))) {
    throw new Error('"prompt" elements must be a string, a list of tokens, a JSON object containing a prompt string, or a list of mixed strings & tokens.')
  }
  return input.map(tokensOf)
}

/** A completion's prompt; llama-server would answer several with several choices, the simulator with one. */
const promptOf = (body) => {
  if (!("prompt" in body)) invalid("[json.exception.out_of_range.403] key 'prompt' not found")
  let prompts
  try {
    prompts = promptsOf(body.prompt)
  } catch (error) {
    invalid(error.message)
  }
  if (prompts.length > 1) invalid("the simulator answers one prompt per request")
  if (prompts[0].some((id) => id < 0 || id >= N_VOCAB)) invalid("Prompt contains invalid tokens")
  return prompts[0]
}

/** An infill's prompt: a real server formats it with the model's FIM tokens, which the simulator's "model" has none of. */
const infillPromptOf = (body) => {
  for (const field of ["input_prefix", "input_suffix"]) if (!(field in body)) invalid(`"${field}" is required`)
  return [BOS, ...tokenize(`${body.input_prefix}${body.input_suffix}${body.prompt ?? ""}`)]
}

/** The prompt a chat becomes, through a ChatML template. */
const chatPromptOf = (body) => {
  if (!("messages" in body)) invalid("'messages' is required")
  if (!Array.isArray(body.messages)) invalid("Expected 'messages' to be an array")
  const text = (content) => (Array.isArray(content) ? content.map((part) => part.text ?? "").join("") : String(content ?? ""))
  return [BOS, ...tokenize(`${body.messages.map((message) => `<|im_start|>${message.role}\n${text(message.content)}<|im_end|>\n`).join("")}<|im_start|>assistant\n`)]
}

/** A token's embedding: a fixed pseudo-random vector (mulberry32 seeded by the id), so that texts sharing tokens lie close. */
const tokenVector = (id) => {
  let seed = id
  return Array.from({ length: N_EMBD }, () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return (((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * 2 - 1
  })
}
/** Mean pooling over the prompt's tokens, then the L2 normalisation llama-server applies by default. */
const embed = (tokens) => {
  const sum = tokens.map(tokenVector).reduce((total, vector) => total.map((x, i) => x + vector[i]))
  const norm = Math.hypot(...sum)
  return sum.map((x) => x / norm)
}
const dot = (a, b) => a.reduce((total, x, i) => total + x * b[i], 0)

const embeddingsServed = options.embeddings === true || options.reranking === true
const pooling = options.reranking ? "rank" : options.pooling ?? "mean"

const ratio = (a, b) => (b > 0 ? a / b : 0)
// Generation is timed as it happens; prompt processing, which the simulator skips, is reported at
// about the rate the real server reaches with a tiny model on a CPU.
const PROMPT_MS_PER_TOKEN = 0.05
const timingsOf = (promptN, predictedN, predictedMs) => {
  const promptMs = promptN * PROMPT_MS_PER_TOKEN
  return {
    cache_n: 0,
    prompt_n: promptN,
    prompt_ms: promptMs,
    prompt_per_token_ms: ratio(promptMs, promptN),
    prompt_per_second: ratio(1000 * promptN, promptMs),
    predicted_n: predictedN,
    predicted_ms: predictedMs,
    predicted_per_token_ms: ratio(predictedMs, predictedN),
    predicted_per_second: ratio(1000 * predictedN, predictedMs)
  }
}
const usageOf = (promptN, predictedN) =>
  ({ completion_tokens: predictedN, prompt_tokens: promptN, total_tokens: promptN + predictedN, prompt_tokens_details: { cached_tokens: 0 } })

/** n_predict, or its aliases max_tokens and max_completion_tokens; -1 (the default) is no bound. */
const limitOf = (body) => Number(body.n_predict ?? body.max_tokens ?? body.max_completion_tokens ?? -1)

const pause = (ms) => new Promise((resolve) => (ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve)))
let tasks = 0

/**
 * Generates a completion, handing each token to `onToken` as it comes, one per --sim-token-ms and
 * at least one turn of the event loop apart: a long completion neither holds up the server nor is
 * built up before it is sent. A bound in the request ends it with stop type "limit" (0 still gives
 * one token, as in the real server); without one, the "model" stops by itself ("eos") after
 * --sim-tokens. When the client goes, it stops, as the real server cancels the task.
 */
const generate = async (res, body, promptN, onToken) => {
  const task = tasks++
  const limit = limitOf(body)
  const n = limit < 0 ? Number(options.tokens) : Math.max(1, limit)
  let gone = false
  res.once("close", () => (gone = true))
  counters.prompt += promptN
  const tokens = []
  const start = performance.now()
  while (tokens.length < n) {
    await pause(Number(options.tokenMs))
    if (gone) {
      logAs("W", `srv          stop: cancel task, id_task = ${task}`)
      break
    }
    const token = FIRST_WORD + (tokens.length % WORDS.length)
    tokens.push(token)
    counters.predicted++
    onToken(token, tokens.length)
  }
  const stopType = limit < 0 ? "eos" : "limit"
  return {
    gone, tokens, stopType,
    finishReason: stopType === "limit" ? "length" : "stop",
    usage: usageOf(promptN, tokens.length),
    timings: timingsOf(promptN, tokens.length, performance.now() - start)
  }
}

/** Server-sent events. The headers go out with the first event, as the real server sends them once the first token is out. */
const eventsTo = (res) => (data) => {
  if (!res.headersSent) res.writeHead(200, { "Content-Type": "text/event-stream", "X-Accel-Buffering": "no" })
  res.write(`data: ${JSON.stringify(data)}\n\n`)
}

const FINGERPRINT = "b0-simulator"
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
// The real server gives text completions a "chatcmpl-" id too.
const completionId = () => `chatcmpl-${Array.from(crypto.randomBytes(32), (byte) => ALNUM[byte % ALNUM.length]).join("")}`
const now = () => Math.floor(Date.now() / 1000)

const chat = async (body, res) => {
  const prompt = chatPromptOf(body)
  const id = completionId()
  const created = now()
  const stream = body.stream === true
  const send = eventsTo(res)
  const chunk = (choices, extra) =>
    ({ choices, created, id, model: alias, system_fingerprint: FINGERPRINT, object: "chat.completion.chunk", ...extra })
  const done = await generate(res, body, prompt.length, (token, n) => {
    if (!stream) return
    if (n === 1) send(chunk([{ finish_reason: null, index: 0, delta: { role: "assistant", content: null } }]))
    send(chunk([{ finish_reason: null, index: 0, delta: { content: detokenize([token]) } }]))
  })
  if (done.gone) return
  const { finishReason: finish_reason, usage, timings } = done
  if (!stream) {
    return json(res, 200, {
      choices: [{ finish_reason, index: 0, message: { role: "assistant", content: detokenize(done.tokens) } }],
      created, model: alias, system_fingerprint: FINGERPRINT, object: "chat.completion", usage, id, timings
    })
  }
  // Asked for usage, the real server sends it in a last chunk of no choices, and the timings move there.
  const includeUsage = body.stream_options?.include_usage === true
  send(chunk([{ finish_reason, index: 0, delta: {} }], includeUsage ? {} : { timings }))
  if (includeUsage) send(chunk([], { usage, timings }))
  res.end("data: [DONE]\n\n")
}

/** OpenAI's text completions; streamed, the last chunk carries usage and timings whether asked or not. */
const textCompletion = async (body, res) => {
  const prompt = promptOf(body)
  const id = completionId()
  const created = now()
  const stream = body.stream === true
  const send = eventsTo(res)
  const result = (text, finish_reason, extra) =>
    ({ choices: [{ text, index: 0, logprobs: null, finish_reason }], created, model: alias, system_fingerprint: FINGERPRINT, object: "text_completion", ...extra })
  const done = await generate(res, body, prompt.length, (token) => stream && send(result(detokenize([token]), null, { id })))
  if (done.gone) return
  const final = result(stream ? "" : detokenize(done.tokens), done.finishReason, { usage: done.usage, id, timings: done.timings })
  if (!stream) return json(res, 200, final)
  send(final)
  res.end("data: [DONE]\n\n")
}

/** llama.cpp's own completion (and infill) shape; streamed, it ends with the final object and no [DONE]. */
const nativeCompletion = (promptFrom) => async (body, res) => {
  const prompt = promptFrom(body)
  const stream = body.stream === true
  const send = eventsTo(res)
  const done = await generate(res, body, prompt.length, (token, n) =>
    stream && send({ index: 0, content: detokenize([token]), tokens: [token], stop: false, id_slot: -1, tokens_predicted: n, tokens_evaluated: prompt.length }))
  if (done.gone) return
  const limit = limitOf(body)
  const final = {
    index: 0, content: stream ? "" : detokenize(done.tokens), tokens: [], id_slot: 0, stop: true, model: alias,
    tokens_predicted: done.tokens.length, tokens_evaluated: prompt.length,
    generation_settings: { temperature: 0.800000011920929, max_tokens: limit, n_predict: limit, stream },
    prompt: detokenize(prompt), has_new_line: false, truncated: false, stop_type: done.stopType, stopping_word: "",
    tokens_cached: prompt.length + done.tokens.length - 1, timings: done.timings
  }
  if (!stream) return json(res, 200, final)
  send(final)
  res.end()
}

/** /v1/embeddings answers OpenAI's shape; /embeddings, and a request with "content" instead of "input", llama.cpp's. */
const embeddings = (openai) => (body, res) => {
  if (!embeddingsServed) throw new Refused(501, "This server does not support embeddings. Start it with `--embeddings`", "not_supported_error")
  if (openai && pooling === "none") invalid("Pooling type 'none' is not OAI compatible. Please use a different pooling type")
  if (!("input" in body) && !("content" in body)) invalid('"input" or "content" must be provided')
  const format = body.encoding_format ?? "float"
  if (format !== "float" && format !== "base64") invalid("The format to return the embeddings in. Can be either float or base64")
  const prompts = promptsOf("input" in body ? body.input : body.content)
  if (prompts.some((tokens) => tokens.length === 0)) invalid("Input content cannot be empty")
  if (!openai || !("input" in body)) {
    return json(res, 200, prompts.map((tokens, index) => ({ index, embedding: pooling === "none" ? tokens.map(tokenVector) : [embed(tokens)] })))
  }
  const n = prompts.reduce((total, tokens) => total + tokens.length, 0)
  json(res, 200, {
    model: body.model ?? alias, object: "list", usage: { prompt_tokens: n, total_tokens: n },
    data: prompts.map((tokens, index) => format === "base64"
      ? { embedding: Buffer.from(new Float32Array(embed(tokens)).buffer).toString("base64"), index, object: "embedding", encoding_format: "base64" }
      : { embedding: embed(tokens), index, object: "embedding" })
  })
}

/** Jina's shape; TEI's (documents named "texts") is a bare list scored as "score". Scores are cosines of the embeddings. */
const rerank = (body, res) => {
  if (!embeddingsServed || pooling !== "rank") throw new Refused(501, "This server does not support reranking. Start it with `--reranking`", "not_supported_error")
  if (!("query" in body)) invalid('"query" must be provided')
  if (typeof body.query !== "string") invalid('"query" must be a string')
  const tei = "texts" in body
  const documents = body.documents ?? body.texts
  if (!Array.isArray(documents) || documents.length === 0 || !documents.every((d) => typeof d === "string")) {
    invalid('"documents" must be a non-empty string array')
  }
  const query = tokenize(body.query)
  const queryVector = embed([BOS, ...query])
  const label = tei ? "score" : "relevance_score"
  const results = documents
    .map((document, index) => ({ index, [label]: dot(queryVector, embed([BOS, ...tokenize(document)])), ...(tei && body.return_text === true ? { text: document } : {}) }))
    .sort((a, b) => b[label] - a[label])
    .slice(0, body.top_n ?? documents.length)
  if (tei) return json(res, 200, results)
  // Each document is scored with the query before it: <s> query </s> <s> document </s>.
  const n = documents.reduce((total, document) => total + 4 + query.length + tokenize(document).length, 0)
  json(res, 200, { model: body.model ?? alias, object: "list", usage: { prompt_tokens: n, total_tokens: n }, results })
}

/**
 * A POST route: its body parsed as llama-server parses it. While it is served it holds a slot (the
 * GETs that report slots do not). A router has no model of its own to answer with.
 */
const post = (handler) => async (req, res) => {
  const text = await readText(req)
  busy++
  try {
    let body
    try {
      body = JSON.parse(text)
    } catch (error) {
      throw new Error(`[json.exception.parse_error.101] parse error: ${error.message}`)
    }
    if (router) invalid(`model '${body.model}' not found`)
    await handler(body, res)
  } catch (error) {
    if (res.headersSent) return res.destroy()
    if (error instanceof Refused) apiError(res, error.code, error.message, error.type)
    else apiError(res, 500, error.message, "server_error")
  } finally {
    busy--
  }
}

const routes = {
  "GET /health": (_, res) => {
    if (!loaded) return loading(res)
    const status = Number(options.healthStatus ?? 200)
    if (status === 200) return json(res, 200, { status: "ok" })
    return apiError(res, status, "Internal server error", "server_error")
  },
  "GET /v1/models": (_, res) =>
    router ? json(res, 200, { data: [], object: "list" }) : json(res, 200, {
      object: "list",
      data: [{ id: alias, object: "model", created: Math.floor(started / 1000), owned_by: "llamacpp",
        meta: { vocab_type: 2, n_vocab: N_VOCAB, n_ctx_train: 4096, n_embd: N_EMBD, n_params: 15191712, size: 35488800 } }]
    }),
  "GET /props": (_, res) =>
    json(res, 200, {
      default_generation_settings: { n_ctx: Number(options.ctx ?? 4096), params: { n_predict: -1, temperature: 0.8 } },
      total_slots: slots,
      model_path: modelPath ?? "none",
      build_info: "b0-simulator"
    }),
  "GET /slots": (_, res, url) => {
    if (options.noSlots) {
      return apiError(res, 501, "This server does not support slots endpoint. Start it with `--slots`", "not_supported_error")
    }
    if (url.searchParams.get("fail_on_no_slot") === "1" && busy >= slots) return apiError(res, 503, "no slot available", "unavailable_error")
    return json(res, 200, Array.from({ length: slots }, (_, id) => ({ id, n_ctx: Number(options.ctx ?? 4096), is_processing: id < busy })))
  },
  "GET /metrics": (_, res) => {
    if (!options.metrics) {
      return apiError(res, 501, "This server does not support metrics endpoint. Start it with `--metrics`", "not_supported_error")
    }
    res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4" })
    res.end([
      "# HELP llamacpp:prompt_tokens_total Number of prompt tokens processed.",
      "# TYPE llamacpp:prompt_tokens_total counter",
      `llamacpp:prompt_tokens_total ${counters.prompt}`,
      "# HELP llamacpp:tokens_predicted_total Number of generation tokens processed.",
      "# TYPE llamacpp:tokens_predicted_total counter",
      `llamacpp:tokens_predicted_total ${counters.predicted}`,
      "# HELP llamacpp:requests_processing Number of requests processing.",
      "# TYPE llamacpp:requests_processing gauge",
      `llamacpp:requests_processing ${busy}`,
      "# HELP llamacpp:requests_deferred Number of requests deferred.",
      "# TYPE llamacpp:requests_deferred gauge",
      "llamacpp:requests_deferred 0",
      ""
    ].join("\n"))
  },
  "POST /completion": post(nativeCompletion(promptOf)),
  "POST /v1/completions": post(textCompletion),
  "POST /v1/chat/completions": post(chat),
  "POST /infill": post(nativeCompletion(infillPromptOf)),
  "POST /v1/embeddings": post(embeddings(true)),
  "POST /embeddings": post(embeddings(false)),
  "POST /rerank": post(rerank),
  "POST /tokenize": post((body, res) => {
    const tokens = [...(body.add_special === true ? [BOS] : []), ...[body.content ?? []].flat().flatMap((part) => (typeof part === "string" ? tokenize(part) : [part]))]
    json(res, 200, { tokens: body.with_pieces === true ? tokens.map((id) => ({ id, piece: pieceOf(id) })) : tokens })
  }),
  "POST /detokenize": post((body, res) => json(res, 200, { content: detokenize(body.tokens ?? []) }))
}
// The real server's other names for the same endpoints.
routes["GET /v1/health"] = routes["GET /health"]
routes["GET /models"] = routes["GET /v1/models"]
routes["POST /completions"] = routes["POST /completion"]
routes["POST /chat/completions"] = routes["POST /v1/chat/completions"]
routes["POST /embedding"] = routes["POST /embeddings"]
for (const path of ["/reranking", "/v1/rerank", "/v1/reranking"]) routes[`POST ${path}`] = routes["POST /rerank"]

// Only these answer without the API key, as in the real server; the model list asks for it too.
const PUBLIC = new Set(["GET /health", "GET /v1/health"])
// What the HTTP thread answers by itself, with no task: a wedged server still answers these.
const HTTP_THREAD = new Set([...PUBLIC, "GET /models", "GET /v1/models"])
const counters = { prompt: 0, predicted: 0 }
let busy = 0

let inFlight = 0
const server = http.createServer(async (req, res) => {
  if (hung) return // a wedged server: the connection is accepted, never answered
  inFlight++
  res.once("close", () => {
    inFlight--
    if (terminating && inFlight === 0) exitAfterStop()
  })
  const url = new URL(req.url ?? "/", "http://sim")
  const key = `${req.method} ${url.pathname}`
  if (!loaded) return loading(res)
  // The key is checked before the route is looked up: an unknown path without it is a 401 too.
  if (options.apiKey !== undefined && !PUBLIC.has(key) && !options.apiKey.split(",").some((one) => req.headers.authorization === `Bearer ${one}`)) {
    return json(res, 401, { error: { message: "Invalid API Key", type: "authentication_error", code: 401 } })
  }
  const route = routes[key]
  if (route === undefined) return apiError(res, 404, "File Not Found", "not_found_error")
  if (wedged && !HTTP_THREAD.has(key)) return // the HTTP thread answers /health and the models; the stuck task queue answers nothing
  route(req, res, url)
})

server.on("error", () => {
  logAs("E", `srv         start: couldn't bind HTTP server socket, hostname: ${options.host}, port: ${options.port}`)
  logAs("I", "srv    operator(): operator(): cleaning up before exit...")
  logAs("E", "srv  llama_server: exiting due to HTTP server error")
  process.exit(1)
})

server.listen(Number(options.port), options.host, () => {
  if (router) return logAs("I", "srv  llama_server: starting server in router mode. models will be automatically loaded on-demand")
  logAs("I", `srv    load_model: loading model '${modelPath}'`)
  if (!fs.existsSync(modelPath) || !fs.statSync(modelPath).isFile()) {
    logAs("E", `gguf_init_from_file: failed to open GGUF file '${modelPath}' (${fs.existsSync(modelPath) ? "Is a directory" : "No such file or directory"})`)
    logAs("E", `srv    load_model: failed to load model, '${modelPath}'`)
    logAs("I", "srv    operator(): operator(): cleaning up before exit...")
    logAs("E", "srv  llama_server: exiting due to model loading error")
    process.exit(1)
  }
  setTimeout(() => {
    loaded = true
    logAs("I", "srv  llama_server: model loaded")
    logAs("I", `srv  llama_server: listening on http://${options.host}:${options.port}`)
    logAs("I", "srv  update_slots: all slots are idle")
  }, Number(options.loadMs))
})

if (options.crashAfterMs !== undefined) {
  setTimeout(() => {
    log("simulator: crashing as asked (--sim-crash-after-ms)")
    if (options.crashSignal !== undefined) process.kill(process.pid, options.crashSignal)
    else process.exit(Number(options.crashCode))
  }, Number(options.crashAfterMs))
}

if (options.hangAfterMs !== undefined) {
  setTimeout(() => {
    log(`simulator: hanging as asked (--sim-hang-after-ms) at ${Date.now()}`)
    hung = true
  }, Number(options.hangAfterMs))
}

if (options.wedgeAfterMs !== undefined) {
  setTimeout(() => {
    log("simulator: wedging as asked (--sim-wedge-after-ms)")
    wedged = true
  }, Number(options.wedgeAfterMs))
}

let terminating = false
const exitAfterStop = () => setTimeout(() => process.exit(0), Number(options.stopMs))
process.on("SIGTERM", () => {
  if (options.ignoreSigterm) return log("simulator: ignoring SIGTERM as asked (--sim-ignore-sigterm)")
  if (terminating) {
    log("Received second interrupt, terminating immediately.")
    process.exit(1)
  }
  // Loading: the real server has no handler yet, and dies of the signal.
  if (!loaded) {
    process.removeAllListeners("SIGTERM")
    process.kill(process.pid, "SIGTERM")
    return
  }
  terminating = true
  logAs("I", "srv    operator(): operator(): cleaning up before exit...")
  // The listener closes at once; a request in flight keeps the server until its client goes.
  server.close()
  if (inFlight === 0) exitAfterStop()
})
process.on("SIGINT", () => process.exit(130))
