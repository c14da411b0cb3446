import type { Described, DevicesJson, DoctorCheck, EventJson, FindingJson, PsRow } from "../../src/app/shapes.js"
import type { ConfigDoc, EventsPage, Replayed, Requested } from "../../src/http/api.js"

/**
 * The daemon's public API (/api/v1, the OpenAPI document's), and nothing else: the console is one
 * of its clients. The token is the HttpOnly cookie the `orch ui` URL left; the page never sees it.
 */

export type { Described, DevicesJson, DoctorCheck, EventJson, FindingJson, PsRow, Replayed }

/** An answer the API refused, in its error shape. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly tag: string,
    message: string,
    readonly hint: string,
    readonly findings: ReadonlyArray<FindingJson> = []
  ) {
    super(message)
  }
}

const call = async <A>(method: string, path: string, body?: unknown): Promise<A> => {
  const answer = await fetch(`/api/v1${path}`, {
    method,
    credentials: "same-origin",
    headers: body === undefined ? {} : { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  const text = await answer.text()
  const json: unknown = text === "" ? null : JSON.parse(text)
  if (!answer.ok) {
    const error = (json ?? {}) as { _tag?: string; message?: string; hint?: string; findings?: ReadonlyArray<FindingJson> }
    throw new ApiError(answer.status, error._tag ?? "Error", error.message ?? `${method} ${path}: ${answer.status}`, error.hint ?? "", error.findings ?? [])
  }
  return json as A
}

export const api = {
  instances: () => call<ReadonlyArray<PsRow>>("GET", "/instances"),
  instance: (name: string) => call<Described>("GET", `/instances/${encodeURIComponent(name)}`),
  request: (name: string, what: "start" | "stop" | "restart") => call<Requested>("POST", `/instances/${encodeURIComponent(name)}/${what}`),
  config: (name: string) => call<ConfigDoc>("GET", `/instances/${encodeURIComponent(name)}/config`),
  putConfig: (name: string, config: unknown) => call<ConfigDoc>("PUT", `/instances/${encodeURIComponent(name)}/config`, config),
  events: (query: URLSearchParams) => call<EventsPage>("GET", `/events?${query}`),
  replay: (until: { readonly seq: number } | { readonly at: number }) =>
    call<Replayed>("GET", `/replay?${"seq" in until ? `until=${until.seq}` : `at=${until.at}`}`),
  devices: () => call<DevicesJson>("GET", "/devices"),
  doctor: () => call<ReadonlyArray<DoctorCheck>>("GET", "/doctor")
}
