import type { ProbeResult } from "./events.js"

/**
 * What an answer to GET /health means (shared/llama-server.md): 200 {"status":"ok"} is ready,
 * 503 "Loading model" is loading; anything else is an error, with the reason why.
 */
export const classifyAnswer = (status: number, body: string): { readonly result: ProbeResult; readonly reason?: string } => {
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    parsed = undefined
  }
  const object = typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {}
  const error = typeof object["error"] === "object" && object["error"] !== null ? (object["error"] as Record<string, unknown>) : {}
  if (status === 200) return object["status"] === "ok" ? { result: "ok" } : { result: "error", reason: `200 without {"status":"ok"}: ${body.slice(0, 120)}` }
  if (status === 503 && /loading/i.test(String(error["message"] ?? ""))) return { result: "loading" }
  return { result: "error", reason: `HTTP ${status}${typeof error["message"] === "string" ? `: ${error["message"]}` : ""}` }
}

/** Whether the model list answering on our port names our instance: another server may hold it. */
export const servesAlias = (body: string, alias: string): { readonly ok: boolean; readonly served: ReadonlyArray<string> } => {
  try {
    const parsed = JSON.parse(body) as { data?: ReadonlyArray<{ id?: unknown }> }
    const served = (parsed.data ?? []).map((model) => String(model.id))
    return { ok: served.some((id) => id.split(",").includes(alias)), served }
  } catch {
    return { ok: false, served: [] }
  }
}

export type Deep = "slots" | "completion"

/** The request a deep probe makes: both go through the server's task queue, which /health does not. */
export const deepRequest = (deep: Deep): { readonly method: "GET" | "POST"; readonly path: string; readonly body?: string } =>
  deep === "slots" ? { method: "GET", path: "/slots" } : { method: "POST", path: "/completion", body: JSON.stringify({ prompt: "ping", n_predict: 1 }) }

/** What a deep probe's answer means: only a 200 shows the server still works. */
export const classifyDeep = (deep: Deep, status: number, body: string): { readonly result: ProbeResult; readonly reason?: string } => {
  if (status === 200) return { result: "ok" }
  if (deep === "slots" && status === 501) {
    return { result: "error", reason: "deep probe: this server has no /slots endpoint; add --slots to args, or use deep: completion" }
  }
  return { result: "error", reason: `deep probe ${deepRequest(deep).path}: ${classifyAnswer(status, body).reason ?? `HTTP ${status}`}` }
}

/**
 * The API key a server was given, which probes of its model list and deep probes need, and which
 * the gateway sends so that a client needs only the gateway's key: its last `--api-key` flag, else
 * LLAMA_API_KEY (llama.cpp's name for it has no LLAMA_ARG_ prefix), as llama-server reads them. Of
 * a list of keys (`--api-key a,b`, any of which the server takes) the first.
 */
export const apiKeyOf = (args: ReadonlyArray<string>, env: Readonly<Record<string, string>>): string | undefined => {
  let value: string | undefined
  for (let i = args.length - 1; i >= 0 && value === undefined; i--) {
    const arg = args[i]!
    if (arg === "--api-key" && i + 1 < args.length) value = args[i + 1]
    else if (arg.startsWith("--api-key=")) value = arg.slice("--api-key=".length)
  }
  const first = (value ?? env["LLAMA_API_KEY"])?.split(",")[0]
  return first === undefined || first === "" ? undefined : first
}
