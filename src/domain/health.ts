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
