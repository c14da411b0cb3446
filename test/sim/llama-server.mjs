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
// Not simulated: the real server's model formats, tokens and timings beyond these.
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
  ["--api-key", "apiKey"], ["--timeout", "timeout"],
  ["--sim-load-ms", "loadMs"], ["--sim-crash-after-ms", "crashAfterMs"], ["--sim-crash-code", "crashCode"],
  ["--sim-crash-signal", "crashSignal"], ["--sim-hang-after-ms", "hangAfterMs"],
  ["--sim-wedge-after-ms", "wedgeAfterMs"],
  ["--sim-health-status", "healthStatus"], ["--sim-stop-ms", "stopMs"], ["--sim-devices", "devices"]
])
const SWITCHES = new Map([
  ["--metrics", "metrics"], ["--slots", "slots"], ["--no-slots", "noSlots"], ["--list-devices", "listDevices"], ["--version", "version"],
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
  const options = { host: "127.0.0.1", port: "8080", loadMs: "200", crashCode: "1", stopMs: "50" }
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

const readBody = (req) =>
  new Promise((resolve) => {
    let text = ""
    req.on("data", (chunk) => (text += chunk))
    req.on("end", () => {
      try {
        resolve(JSON.parse(text || "{}"))
      } catch {
        resolve(undefined)
      }
    })
  })

const completionText = " Hello from the llama-server simulator."

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
        meta: { vocab_type: 2, n_vocab: 32000, n_ctx_train: 4096, n_embd: 288, n_params: 15191712, size: 35488800 } }]
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
  "POST /completion": async (req, res) => {
    const body = await readBody(req)
    if (body === undefined) return apiError(res, 400, "Invalid JSON", "invalid_request_error")
    const tokens = Math.max(1, Math.min(Number(body.n_predict ?? 8), 8))
    counters.prompt += String(body.prompt ?? "").split(/\s+/).length
    counters.predicted += tokens
    json(res, 200, { content: completionText.split(" ").slice(0, tokens + 1).join(" "), stop: true, model: alias, tokens_predicted: tokens })
  },
  "POST /v1/chat/completions": async (req, res) => {
    const body = await readBody(req)
    if (body === undefined) return apiError(res, 400, "Invalid JSON", "invalid_request_error")
    if (router) return apiError(res, 400, `model '${body.model}' not found`, "invalid_request_error")
    const id = `chatcmpl-sim${Date.now()}`
    const created = Math.floor(Date.now() / 1000)
    counters.predicted += 6
    if (body.stream === true) {
      res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" })
      for (const word of completionText.trim().split(" ")) {
        res.write(`data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model: alias, choices: [{ index: 0, delta: { content: `${word} ` }, finish_reason: null }] })}\n\n`)
      }
      res.write(`data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model: alias, choices: [{ index: 0, delta: {}, finish_reason: "stop" }] })}\n\n`)
      return res.end("data: [DONE]\n\n")
    }
    json(res, 200, {
      id, object: "chat.completion", created, model: alias,
      choices: [{ index: 0, message: { role: "assistant", content: completionText.trim() }, finish_reason: "stop" }],
      usage: { prompt_tokens: 8, completion_tokens: 6, total_tokens: 14 }
    })
  }
}
routes["GET /v1/health"] = routes["GET /health"]
routes["GET /models"] = routes["GET /v1/models"]
routes["POST /v1/completions"] = routes["POST /completion"]

const PUBLIC = new Set(["GET /health", "GET /v1/health", "GET /models", "GET /v1/models"])
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
  const route = routes[key]
  if (route === undefined) return apiError(res, 404, "File Not Found", "not_found_error")
  if (wedged && !PUBLIC.has(key)) return // the HTTP thread answers /health; the stuck task queue answers nothing
  if (options.apiKey !== undefined && !PUBLIC.has(key) && req.headers.authorization !== `Bearer ${options.apiKey}`) {
    return apiError(res, 401, "Invalid API Key", "authentication_error")
  }
  busy++
  try {
    await route(req, res, url)
  } finally {
    busy--
  }
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
