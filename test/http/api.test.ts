import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { Readable } from "node:stream"
import { Validator } from "@seriousme/openapi-schema-validator"
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js"
import { createParser } from "eventsource-parser"
import parsePrometheusTextFormat from "parse-prometheus-text-format"
import { Agent, request } from "undici"
import { describe, expect, it } from "vitest"
import { addSim, daemonPid, servers, simHome, types } from "../support/daemon.js"
import { freePort } from "../support/net.js"
import { orch } from "../support/orch.js"
import { waitFor } from "../support/sim.js"
import { type ApiShown, apiOf } from "../support/sse.js"

/**
 * The daemon's HTTP API, end to end: the built `orch` starts a real daemon for a home of simulated
 * servers, and every answer is read over real HTTP on 127.0.0.1. Every JSON answer of an endpoint
 * is checked against what the daemon's own OpenAPI document says that endpoint answers.
 */

// A connection per request: each test's daemon dies after it, and so does its port.
const noKeepAlive = new Agent({ pipelining: 0 })

interface Answer {
  readonly status: number
  readonly headers: Record<string, string | Array<string> | undefined>
  readonly text: string
  readonly json: any
}

interface Call {
  /** The Bearer token to send: the daemon's unless said (null: none). */
  readonly token?: string | null
  readonly headers?: Record<string, string>
  readonly body?: string | Readable
}

// ---- the OpenAPI document, and each answer checked against it --------------------------------

type Spec = { readonly paths: Record<string, Record<string, any>>; readonly components: { readonly schemas: Record<string, unknown> } }
let spec: Spec | undefined
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false })
const compiled = new Map<string, ValidateFunction>()

/**
 * A schema without its `$id`s: Effect writes one on some shared schemas (`/schemas/unknown`), and
 * Ajv refuses a second schema that claims an id it has seen.
 */
const withoutIds = (value: unknown): unknown =>
  Array.isArray(value)
    ? value.map(withoutIds)
    : typeof value === "object" && value !== null
      ? Object.fromEntries(Object.entries(value).filter(([key]) => key !== "$id").map(([key, inner]) => [key, withoutIds(inner)]))
      : value

/** The path template of the document that a request path matches (`{name}` for a segment). */
const templateOf = (document: Spec, pathname: string) =>
  Object.keys(document.paths).find((template) => new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`).test(pathname))

/** The JSON schema the document gives for this answer: found, or a failure that says what is missing. */
const schemaFor = (document: Spec, method: string, pathname: string, status: number): ValidateFunction => {
  const template = templateOf(document, pathname)
  expect(template, `${pathname} is not in the OpenAPI document`).toBeDefined()
  const operation = document.paths[template!]![method.toLowerCase()]
  expect(operation, `${method} ${template} is not in the OpenAPI document`).toBeDefined()
  const response = operation.responses[String(status)]
  expect(response, `${method} ${template} answered ${status}, which its OpenAPI entry does not list (it lists ${Object.keys(operation.responses).join(", ")})`).toBeDefined()
  const schema = response.content?.["application/json"]?.schema
  expect(schema, `${method} ${template} ${status} has no application/json schema`).toBeDefined()
  const key = `${method} ${template} ${status}`
  const known = compiled.get(key)
  if (known !== undefined) return known
  // The document's components beside the schema, so `#/components/schemas/X` resolves from its root.
  const validate = ajv.compile(withoutIds({ ...schema, components: document.components }) as object)
  compiled.set(key, validate)
  return validate
}

const conforms = (document: Spec, method: string, pathname: string, answer: Answer) => {
  const validate = schemaFor(document, method, pathname, answer.status)
  const ok = validate(answer.json)
  expect(ok, `${method} ${pathname} ${answer.status} does not match its OpenAPI schema: ${ajv.errorsText(validate.errors)}\n${answer.text.slice(0, 2000)}`).toBe(true)
}

/** What no answer carries: a CORS header would let a page elsewhere read what the daemon says. */
const noCors = (answer: Answer) => {
  for (const name of Object.keys(answer.headers)) expect(name.toLowerCase()).not.toMatch(/^access-control-/)
}

// ---- a daemon and its API ------------------------------------------------------------------

interface Daemon {
  readonly home: string
  readonly api: ApiShown
  /** http://127.0.0.1:PORT */
  readonly origin: string
  readonly token: string
  /** One request; a JSON answer of an endpoint of the document is checked against it. */
  readonly call: (method: string, pathname: string, options?: Call) => Promise<Answer>
  readonly get: (pathname: string, options?: Call) => Promise<Answer>
  readonly post: (pathname: string, options?: Call) => Promise<Answer>
}

const send = async (origin: string, method: string, pathname: string, headers: Record<string, string>, body?: string | Readable): Promise<Answer> => {
  const response = await request(`${origin}${pathname}`, {
    method: method as "GET",
    headers,
    ...(body === undefined ? {} : { body }),
    dispatcher: noKeepAlive,
    headersTimeout: 30_000,
    bodyTimeout: 30_000
  })
  const text = await response.body.text()
  const type = String(response.headers["content-type"] ?? "")
  let json: unknown
  if (type.startsWith("application/json")) json = JSON.parse(text)
  return { status: response.statusCode, headers: response.headers, text, json }
}

/** Sends a request's head alone and reads the answer: for what must be refused by its headers. */
const headOnly = (daemon: Daemon, method: string, pathname: string, headers: Record<string, string>) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    const { hostname, port } = new URL(daemon.origin)
    const socket = net.connect(Number(port), hostname)
    const lines = Object.entries({ host: `${hostname}:${port}`, authorization: `Bearer ${daemon.token}`, connection: "close", ...headers }).map(([name, value]) => `${name}: ${value}\r\n`)
    socket.write(`${method} ${pathname} HTTP/1.1\r\n${lines.join("")}\r\n`)
    let text = ""
    const timer = setTimeout(() => socket.destroy(new Error(`no whole answer in 10 s: ${text}`)), 10_000)
    const settle = () => {
      const end = text.indexOf("\r\n\r\n")
      const length = /\r\ncontent-length: *(\d+)/i.exec(text)
      if (end < 0 || length === null || text.length < end + 4 + Number(length[1])) return false
      clearTimeout(timer)
      socket.destroy()
      resolve({ status: Number(text.split(" ")[1]), body: text.slice(end + 4, end + 4 + Number(length[1])) })
      return true
    }
    socket.setEncoding("utf8")
    socket.on("data", (chunk: string) => {
      text += chunk
      settle()
    })
    socket.on("close", () => settle() || reject(new Error(`the connection closed before a whole answer: ${text}`)))
    socket.on("error", (error) => {
      clearTimeout(timer)
      reject(error)
    })
  })

/** Starts the home's daemon and waits for its API (any free port: the home's orch.json says 127.0.0.1:0). */
const startDaemon = async (home: string): Promise<Daemon> => {
  const started = orch(["daemon", "start", "--home", home])
  expect(started.code, started.stderr).toBe(0)
  const api = await apiOf(home)
  expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v1$/)
  expect(api.token).toMatch(/^[A-Za-z0-9_-]{20,}$/)
  expect(fs.readFileSync(path.join(home, "journal", "api.token"), "utf8").trim()).toBe(api.token)
  const origin = new URL(api.url).origin
  const token = api.token!
  const call = async (method: string, pathname: string, options: Call = {}) => {
    const bearer = options.token === undefined ? token : options.token
    const headers = { ...(bearer === null ? {} : { authorization: `Bearer ${bearer}` }), ...options.headers }
    const answer = await send(origin, method, pathname, headers, options.body)
    noCors(answer)
    const pathOnly = pathname.split("?")[0]!
    if (answer.json !== undefined && pathOnly !== "/api/v1/openapi.json") {
      spec ??= (await send(origin, "GET", "/api/v1/openapi.json", { authorization: `Bearer ${token}` })).json as Spec
      // An endpoint of the document: a path (and method) it does not have is no endpoint's answer.
      const template = templateOf(spec, pathOnly)
      if (template !== undefined && spec.paths[template]![method.toLowerCase()] !== undefined) conforms(spec, method, pathOnly, answer)
    }
    return answer
  }
  return { home, api, origin, token, call, get: (pathname, options) => call("GET", pathname, options), post: (pathname, options) => call("POST", pathname, options) }
}

/** A home with the simulator as `chat` (an API key and a token in its env, to be hidden), its daemon started. */
const chatHome = async (args: ReadonlyArray<string> = []) => {
  const home = simHome()
  const port = await freePort()
  addSim(home, "chat", port, ["--api-key", "sekrit-123", ...args], { env: { HF_TOKEN: "hf_secret_456", MY_FLAG: "1" } })
  return { ...(await startDaemon(home)), port }
}

const configPath = (home: string, name: string) => path.join(home, "instances", name, "config.json")

const cliJson = (args: ReadonlyArray<string>) => {
  const run = orch(args)
  expect(run.code, run.stderr).toBe(0)
  return JSON.parse(run.stdout)
}

/** Two readings of one moving thing, taken until they agree (at most `tries`): the last pair, to compare. */
const agreeing = async <A>(read: () => Promise<readonly [A, A]>, tries = 5): Promise<readonly [A, A]> => {
  let pair = await read()
  for (let i = 1; i < tries && JSON.stringify(pair[0]) !== JSON.stringify(pair[1]); i++) pair = await read()
  return pair
}

const withoutUptime = <A extends { readonly uptime_ms?: unknown }>(row: A) => ({ ...row, uptime_ms: typeof row.uptime_ms })

/** Waits until the instance is healthy as the API describes it. */
const healthy = (daemon: Daemon, name: string) =>
  waitFor(async () => {
    const answer = await daemon.get(`/api/v1/instances/${name}`)
    return answer.json?.health === "healthy" ? answer.json : undefined
  }, 15_000, 100)

/** An open server-sent event stream: its `data:` lines as they come, and a way to wait for one. */
const openSse = async (daemon: Daemon, pathname: string) => {
  const controller = new AbortController()
  const response = await request(`${daemon.origin}${pathname}`, { headers: { authorization: `Bearer ${daemon.token}` }, dispatcher: noKeepAlive, signal: controller.signal })
  const data: Array<string> = []
  const comments: Array<string> = []
  const parser = createParser({ onEvent: (message) => void data.push(message.data), onComment: (comment) => void comments.push(comment.trim()) })
  const decoder = new TextDecoder()
  response.body.on("data", (chunk: Buffer) => parser.feed(decoder.decode(chunk, { stream: true })))
  response.body.on("error", () => {})
  return {
    status: response.statusCode,
    headers: response.headers,
    data,
    comments,
    until: <A>(check: () => A | undefined, limitMs = 10_000) => waitFor(async () => check(), limitMs),
    close: () => controller.abort()
  }
}

// ---- the tests ------------------------------------------------------------------------------

describe("the daemon's HTTP API", () => {
  it("answers /health without a token: its version, pid and the seq it has folded", async () => {
    const daemon = await chatHome()
    const answer = await daemon.get("/health", { token: null })
    expect(answer.status).toBe(200)
    const version = orch(["--version"]).stdout.trim()
    expect(version).toContain(answer.json.version)
    expect(answer.json).toMatchObject({ status: "ok", pid: daemonPid(daemon.home) })
    const listening = types(daemon.home).find((event) => event.type === "ApiListening")!
    expect(listening.data).toEqual({ host: "127.0.0.1", port: Number(new URL(daemon.origin).port) })
    expect(answer.json.seq).toBeGreaterThanOrEqual(listening.seq)
    expect(answer.json.seq).toBeLessThanOrEqual(types(daemon.home).at(-1)!.seq)
  })

  it("asks for the token, answers only to this machine's Host names, trades a token URL for an HttpOnly cookie, and refuses cross-origin changes made with the cookie", async () => {
    const daemon = await chatHome()
    const none = await daemon.get("/api/v1/instances", { token: null })
    expect(none.status).toBe(401)
    expect(none.json._tag).toBe("Unauthorized")
    expect(none.json.hint).toContain("orch api")
    const wrong = await daemon.get("/api/v1/instances", { token: "not-the-token" })
    expect(wrong.status).toBe(401)
    expect(wrong.json._tag).toBe("Unauthorized")
    expect((await daemon.get("/api/v1/openapi.json", { token: null })).status).toBe(401)
    expect((await daemon.get("/api/docs", { token: null })).status).toBe(401)

    // DNS rebinding: a page of evil.example whose name now points at 127.0.0.1 sends its own Host.
    const rebound = await daemon.get("/api/v1/instances", { headers: { host: "evil.example" } })
    expect(rebound.status).toBe(403)
    expect(rebound.json).toMatchObject({ _tag: "Forbidden" })
    expect(rebound.text).not.toContain("chat")
    // /health too (its OpenAPI entry does not list this 403: read outside the schema check).
    const reboundHealth = await send(daemon.origin, "GET", "/health", { host: `evil.example:${new URL(daemon.origin).port}` })
    expect(reboundHealth.status).toBe(403)
    noCors(reboundHealth)
    expect((await daemon.get("/api/v1/instances", { headers: { host: `localhost:${new URL(daemon.origin).port}` } })).status).toBe(200)

    // The token URL `orch api` prints: once, then the token lives in a cookie.
    expect(daemon.api.open).toBe(`${daemon.origin}/api/docs?token=${daemon.token}`)
    const badUrl = await daemon.get("/api/docs?token=nope", { token: null })
    expect(badUrl.status).toBe(401)
    expect(badUrl.headers["set-cookie"]).toBeUndefined()
    const exchanged = await daemon.get(`/api/docs?token=${daemon.token}`, { token: null })
    expect(exchanged.status).toBe(303)
    expect(exchanged.headers["location"]).toBe("/api/docs")
    const cookie = String(exchanged.headers["set-cookie"])
    expect(cookie).toMatch(new RegExp(`^orch_token=${daemon.token};`))
    expect(cookie).toMatch(/;\s*HttpOnly/i)
    expect(cookie).toMatch(/;\s*SameSite=Strict/i)
    const withCookie = { token: null, headers: { cookie: cookie.split(";")[0]! } }
    const docs = await daemon.get("/api/docs", withCookie)
    expect(docs.status).toBe(200)
    const listed = await daemon.get("/api/v1/instances", withCookie)
    expect(listed.status).toBe(200)
    expect(listed.json.map((row: { name: string }) => row.name)).toEqual(["chat"])

    // A page elsewhere that posts to the daemon: the browser adds the cookie, and its Origin.
    const evil = { "content-type": "application/json", origin: "http://evil.example" }
    const forged = await daemon.post("/api/v1/instances/chat/start", { token: null, headers: { ...withCookie.headers, ...evil } })
    expect(forged.status).toBe(403)
    expect(forged.json._tag).toBe("Forbidden")
    expect(types(daemon.home, "chat").filter((event) => event.type === "StartRequested" || event.type === "ConfigApplied")).toEqual([])
    expect(servers(daemon.home)).toEqual([])

    // The same request from a program, with the token: accepted, whatever Origin it names.
    const asked = await daemon.post("/api/v1/instances/chat/start", { headers: evil })
    expect(asked.status).toBe(202)
    const requested = types(daemon.home, "chat").find((event) => event.type === "StartRequested")
    expect(requested).toMatchObject({ seq: asked.json.seq, data: { by: "api" } })

    // A preflight gets nothing that would let a page go on.
    const preflight = await daemon.call("OPTIONS", "/api/v1/instances/chat/stop", { token: null, headers: { origin: "http://evil.example", "access-control-request-method": "POST" } })
    expect(preflight.status).toBeGreaterThanOrEqual(400)
  })

  it("lists the instances as `orch ps --json` does, and describes one as `orch describe --json` does", async () => {
    const daemon = await chatHome()
    addSim(daemon.home, "idle", await freePort())
    const up = await daemon.post("/api/v1/instances/chat/start?wait=true&timeout=15")
    expect(up.status, up.text).toBe(200)
    // A request through the gateway on the same listener: chat's describe, checked against the document, has one.
    const chatted = await send(daemon.origin, "POST", "/v1/chat/completions", { "content-type": "application/json" }, JSON.stringify({ model: "chat", messages: [{ role: "user", content: "hi" }] }))
    expect(chatted.status, chatted.text).toBe(200)
    await waitFor(async () => ((await daemon.get("/api/v1/instances/chat")).json.requests.length === 1 ? true : undefined), 10_000, 100)

    const [api, cli] = await agreeing(async () => {
      const answer = await daemon.get("/api/v1/instances")
      expect(answer.status).toBe(200)
      return [answer.json.map(withoutUptime), cliJson(["ps", "--json", "--home", daemon.home]).map(withoutUptime)] as const
    })
    expect(api).toEqual(cli)
    expect(api.map((row: { name: string; status: string }) => [row.name, row.status])).toEqual([["chat", "running"], ["idle", "new"]])

    for (const name of ["chat", "idle"]) {
      const strip = (described: Record<string, unknown>) => ({ ...withoutUptime(described), logs: undefined })
      const [one, described] = await agreeing(async () => {
        const answer = await daemon.get(`/api/v1/instances/${name}`)
        expect(answer.status).toBe(200)
        return [strip(answer.json), strip(cliJson(["describe", name, "--json", "--home", daemon.home]))] as const
      })
      expect(one).toEqual(described)
    }
    const chat = (await daemon.get("/api/v1/instances/chat")).json
    expect(chat.logs.stderr.path).toBe(path.join(daemon.home, "instances", "chat", "logs", "stderr.log"))
    expect(chat.config.args).toEqual(["--sim-load-ms", "50", "--api-key", "***"])
    expect(JSON.stringify(chat)).not.toMatch(/sekrit-123|hf_secret_456/)
    expect(chat.requests).toEqual([expect.objectContaining({ endpoint: "/v1/chat/completions", status: 200, streamed: false, prompt_tokens: expect.any(Number) })])

    const unknown = await daemon.get("/api/v1/instances/nope")
    expect(unknown.status).toBe(404)
    expect(unknown.json).toMatchObject({ _tag: "NotFound" })
    const badName = await daemon.get("/api/v1/instances/Not%20A%20Name")
    expect(badName.status).toBe(400)
    expect(badName.json._tag).toBe("BadRequest")
  })

  it("starts, stops and restarts as orch does (by: api): 202 with the request's seq, or 200 once done with ?wait=true", async () => {
    const daemon = await chatHome()
    const up = await daemon.post("/api/v1/instances/chat/start?wait=true&timeout=15")
    expect(up.status, up.text).toBe(200)
    expect(up.json.instance).toBe("chat")
    expect(up.json.text).toMatch(/^healthy \(pid \d+/)
    const journal = types(daemon.home, "chat")
    expect(journal.find((event) => event.seq === up.json.seq)).toMatchObject({ type: "StartRequested", data: { by: "api" } })
    const [first] = servers(daemon.home)
    expect(up.json.text).toContain(`pid ${first!.pid}`)

    const restarted = await daemon.post("/api/v1/instances/chat/restart?wait=true&timeout=15")
    expect(restarted.status, restarted.text).toBe(200)
    expect(restarted.json.text).toMatch(/^healthy \(pid \d+/)
    expect(types(daemon.home, "chat").find((event) => event.seq === restarted.json.seq)).toMatchObject({ type: "RestartRequested", data: { by: "api" } })
    const [second] = servers(daemon.home)
    expect(second!.pid).not.toBe(first!.pid)
    expect(restarted.json.text).toContain(`pid ${second!.pid}`)
    expect((await daemon.get("/api/v1/instances/chat")).json.pid).toBe(second!.pid)

    const down = await daemon.post("/api/v1/instances/chat/stop")
    expect(down.status).toBe(202)
    expect(Object.keys(down.json).sort()).toEqual(["instance", "seq"])
    expect(down.json.instance).toBe("chat")
    expect(types(daemon.home, "chat").find((event) => event.seq === down.json.seq)).toMatchObject({ type: "StopRequested", data: { by: "api" } })
    await waitFor(async () => (servers(daemon.home).length === 0 ? true : undefined), 10_000)
    const stoppedAgain = await daemon.post("/api/v1/instances/chat/stop?wait=1&timeout=5")
    expect(stoppedAgain.status).toBe(200)
    expect(stoppedAgain.json.text).toBe("stopped")

    for (const ask of ["start", "stop", "restart"]) {
      const unknown = await daemon.post(`/api/v1/instances/nope/${ask}`)
      expect(unknown.status, ask).toBe(404)
      expect(unknown.json.message).toContain('"nope"')
    }
    const badTimeout = await daemon.post("/api/v1/instances/chat/start?wait=true&timeout=0")
    expect(badTimeout.status).toBe(400)
    expect(badTimeout.json.message).toContain("timeout")
  })

  it("refuses to start an instance whose config has a problem: 422 with the findings `orch config validate` gives", async () => {
    const daemon = await chatHome()
    addSim(daemon.home, "nomodel", await freePort(), [], { model: { path: "missing.gguf" } })
    const before = types(daemon.home).length
    const refused = await daemon.post("/api/v1/instances/nomodel/start?wait=true&timeout=5")
    expect(refused.status).toBe(422)
    expect(refused.json._tag).toBe("Invalid")
    const validated = JSON.parse(orch(["config", "validate", configPath(daemon.home, "nomodel"), "--json", "--home", daemon.home]).stdout)
    expect(validated.valid).toBe(false)
    const said = (finding: Record<string, unknown>) => ({ file: finding["file"], field: finding["field"], problem: finding["problem"], hint: finding["hint"] })
    expect(refused.json.findings.map(said)).toEqual(validated.findings.map(said))
    expect(refused.json.findings[0]).toMatchObject({ instance: "nomodel", field: "model.path" })
    expect(types(daemon.home).slice(before).filter((event) => event.instance === "nomodel")).toEqual([])
  })

  it("answers a wait that ends without a healthy server with 504, the last probe and the stderr tail", async () => {
    const daemon = await chatHome(["--no-such-flag"])
    const failed = await daemon.post("/api/v1/instances/chat/start?wait=true&timeout=5")
    expect(failed.status, failed.text).toBe(504)
    expect(failed.json._tag).toBe("NotDone")
    expect(failed.json.message).toMatch(/^chat: /)
    expect(failed.json).toHaveProperty("last_probe")
    expect(failed.json.stderr_tail.join("\n")).toContain("--no-such-flag")
    expect(types(daemon.home, "chat").find((event) => event.seq === failed.json.seq)).toMatchObject({ type: "StartRequested", data: { by: "api" } })

    const crashing = simHome()
    addSim(crashing, "chat", await freePort(), ["--sim-crash-after-ms", "10"])
    const other = await startDaemon(crashing)
    const crashed = await other.post("/api/v1/instances/chat/start?wait=true&timeout=5")
    expect(crashed.status, crashed.text).toBe(504)
    expect(crashed.json.stderr_tail.length).toBeGreaterThan(0)
  }, 40_000)

  it("shows a config with its secrets hidden, writes a good one whole, refuses a bad one untouched, and keeps the secrets a *** stands for", async () => {
    const daemon = await chatHome()
    const file = configPath(daemon.home, "chat")
    const original = fs.readFileSync(file)
    const shown = await daemon.get("/api/v1/instances/chat/config")
    expect(shown.status).toBe(200)
    expect(shown.json.name).toBe("chat")
    expect(shown.json.file).toBe(file)
    expect(shown.json.config.args).toEqual(["--sim-load-ms", "50", "--api-key", "***"])
    expect(shown.json.config.env).toEqual({ HF_TOKEN: "***", MY_FLAG: "1" })
    expect(shown.text).not.toMatch(/sekrit-123|hf_secret_456/)
    expect((await daemon.get("/api/v1/instances/nope/config")).status).toBe(404)

    const put = (name: string, body: unknown) => daemon.call("PUT", `/api/v1/instances/${name}/config`, { headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
    const folder = () => fs.readdirSync(path.dirname(file)).sort()
    const entries = folder()

    const bad = await put("chat", { ...shown.json.config, server: { port: "x" } })
    expect(bad.status).toBe(422)
    expect(bad.json._tag).toBe("Invalid")
    expect(bad.json.findings).toEqual([expect.objectContaining({ file, field: "server.port", problem: expect.stringContaining('"x"') })])
    expect(fs.readFileSync(file).equals(original)).toBe(true)
    expect(folder()).toEqual(entries)
    const missingModel = await put("chat", { ...shown.json.config, model: { path: "missing.gguf" } })
    expect(missingModel.status).toBe(422)
    expect(missingModel.json.findings.map((finding: { field: string }) => finding.field)).toEqual(["model.path"])
    expect(fs.readFileSync(file).equals(original)).toBe(true)
    expect(folder()).toEqual(entries)

    // The body it showed, sent back: the secrets on disk stay what they were.
    const same = await put("chat", shown.json.config)
    expect(same.status, same.text).toBe(200)
    expect(same.json.config).toEqual(shown.json.config)
    const kept = JSON.parse(fs.readFileSync(file, "utf8"))
    expect(kept.args).toEqual(["--sim-load-ms", "50", "--api-key", "sekrit-123"])
    expect(kept.env).toEqual({ HF_TOKEN: "hf_secret_456", MY_FLAG: "1" })
    expect(folder()).toEqual(entries)

    // A new instance: its folder and config made, and valid as `orch config validate` says.
    const port = await freePort()
    const fresh = await put("fresh", { model: { path: "tiny.gguf" }, server: { port }, binary: ["node", path.resolve("test/sim/llama-server.mjs")], args: ["--api-key", "new-secret"] })
    expect(fresh.status, fresh.text).toBe(200)
    expect(fresh.json.config.args).toEqual(["--api-key", "***"])
    const freshFile = configPath(daemon.home, "fresh")
    expect(fresh.json.file).toBe(freshFile)
    expect(JSON.parse(fs.readFileSync(freshFile, "utf8")).args).toEqual(["--api-key", "new-secret"])
    expect(fs.readdirSync(path.dirname(freshFile))).toEqual(["config.json"])
    expect(cliJson(["config", "validate", freshFile, "--json", "--home", daemon.home])).toMatchObject({ valid: true, findings: [] })
    expect((await daemon.get("/api/v1/instances")).json.map((row: { name: string }) => row.name)).toEqual(["chat", "fresh"])

    // A bad config for a new instance leaves no folder behind.
    const never = await put("never", { model: { path: "missing.gguf" }, server: { port } })
    expect(never.status).toBe(422)
    expect(fs.existsSync(path.join(daemon.home, "instances", "never"))).toBe(false)

    // A running instance's config: the port its own server holds is not "in use by another process".
    const up = await daemon.post("/api/v1/instances/chat/start?wait=true&timeout=15")
    expect(up.status, up.text).toBe(200)
    const edited = await put("chat", { ...shown.json.config, stop_timeout: "5s" })
    expect(edited.status, edited.text).toBe(200)
    expect(JSON.parse(fs.readFileSync(file, "utf8"))).toMatchObject({ stop_timeout: "5s", args: ["--sim-load-ms", "50", "--api-key", "sekrit-123"] })
  }, 30_000)

  it("reads the last lines of a log, and streams the lines written after it connects", async () => {
    const daemon = await chatHome()
    expect((await daemon.post("/api/v1/instances/chat/start?wait=true&timeout=15")).status).toBe(200)
    expect((await daemon.post("/api/v1/instances/chat/stop?wait=true&timeout=15")).status).toBe(200)
    const stderrLog = path.join(daemon.home, "instances", "chat", "logs", "stderr.log")
    const lines = fs.readFileSync(stderrLog, "utf8").split("\n").filter((line) => line !== "")
    expect(lines.length).toBeGreaterThan(3)

    const tail = await daemon.get("/api/v1/instances/chat/logs?stream=stderr&tail=3")
    expect(tail.status).toBe(200)
    expect(tail.json).toEqual({ name: "chat", stream: "stderr", file: stderrLog, lines: lines.slice(-3) })
    expect((await daemon.get("/api/v1/instances/chat/logs")).json.lines).toEqual(lines.slice(-100))
    expect((await daemon.get("/api/v1/instances/chat/logs?stream=stdout")).json.stream).toBe("stdout")
    const badStream = await daemon.get("/api/v1/instances/chat/logs?stream=both")
    expect(badStream.status).toBe(400)
    expect(badStream.json.message).toContain("stream")
    expect((await daemon.get("/api/v1/instances/nope/logs")).status).toBe(404)

    const stream = await openSse(daemon, "/api/v1/instances/chat/logs/stream?tail=2")
    try {
      expect(stream.status).toBe(200)
      expect(String(stream.headers["content-type"])).toMatch(/^text\/event-stream/)
      await stream.until(() => (stream.comments.includes("connected") && stream.data.length >= 2 ? true : undefined))
      expect(stream.data).toEqual(lines.slice(-2))
      const line = `a line written by the test at ${Date.now()}`
      fs.appendFileSync(stderrLog, `${line}\n`)
      await stream.until(() => (stream.data.includes(line) ? true : undefined))
      expect(stream.data).toEqual([...lines.slice(-2), line])
    } finally {
      stream.close()
    }
  })

  it("pages the journal with ?after, ?instance, ?type and ?limit, and says what is wrong with a bad query", async () => {
    const daemon = await chatHome()
    addSim(daemon.home, "idle", await freePort())
    expect((await daemon.post("/api/v1/instances/chat/start?wait=true&timeout=15")).status).toBe(200)
    expect((await daemon.post("/api/v1/instances/idle/start?wait=true&timeout=15")).status).toBe(200)
    expect((await daemon.post("/api/v1/instances/idle/stop?wait=true&timeout=15")).status).toBe(200)

    const journal = types(daemon.home)
    const last = journal.at(-1)!.seq
    // Page by 3 from the start, up to the last seq read above (probes go on being appended).
    const paged: Array<{ seq: number }> = []
    for (let after = 0, pages = 0; after < last; pages++) {
      expect(pages).toBeLessThan(200)
      const page = await daemon.get(`/api/v1/events?after=${after}&limit=3`)
      expect(page.status).toBe(200)
      expect(page.json.events.length).toBeLessThanOrEqual(3)
      expect(page.json.last_seq).toBeGreaterThanOrEqual(last)
      if (page.json.events.length === 3) expect(page.json.next_after).toBe(page.json.events[2].seq)
      expect(page.json.next_after).toBeGreaterThan(after)
      paged.push(...page.json.events)
      after = page.json.next_after
    }
    expect(paged.filter((event) => event.seq <= last)).toEqual(journal)

    const started = await daemon.get("/api/v1/events?instance=idle&type=StartRequested,StopRequested")
    expect(started.status).toBe(200)
    expect(started.json.events).toEqual(journal.filter((event) => event.instance === "idle" && (event.type === "StartRequested" || event.type === "StopRequested")))
    expect(started.json.events.map((event: { type: string }) => event.type)).toEqual(["StartRequested", "StopRequested"])
    // A short page ends the list for now: the next one starts at the newest seq.
    expect(started.json.next_after).toBe(started.json.last_seq)
    const later = await daemon.get(`/api/v1/events?after=${started.json.events[0].seq}&instance=idle&type=StartRequested,StopRequested`)
    expect(later.json.events.map((event: { type: string }) => event.type)).toEqual(["StopRequested"])
    expect((await daemon.get("/api/v1/events?instance=chat&type=ConfigApplied")).json.events).toEqual(journal.filter((event) => event.instance === "chat" && event.type === "ConfigApplied"))
    expect((await daemon.get(`/api/v1/events?after=${last + 1000}`)).json).toMatchObject({ events: [], next_after: last + 1000 })

    // Back from the newest: ?before= gives the newest `limit` before a seq, oldest first.
    const newest = await daemon.get(`/api/v1/events?before=${last + 1}&limit=3`)
    expect(newest.json.events).toEqual(journal.slice(-3))
    const older = await daemon.get(`/api/v1/events?before=${newest.json.events[0].seq}&limit=3&instance=idle`)
    expect(older.json.events).toEqual(journal.filter((event) => event.instance === "idle" && event.seq < newest.json.events[0].seq).slice(-3))
    const since = journal.find((event) => event.type === "StopRequested")!
    expect((await daemon.get(`/api/v1/events?since=${since.at}&instance=idle&type=StopRequested`)).json.events).toEqual([since])
    expect((await daemon.get(`/api/v1/events?since=${since.at + 1}&instance=idle&type=StopRequested`)).json.events).toEqual([])

    const badAfter = await daemon.get("/api/v1/events?after=abc")
    expect(badAfter.status).toBe(400)
    expect(badAfter.json._tag).toBe("BadRequest")
    expect(badAfter.json.message).toMatch(/^after: /)
    expect(badAfter.json.hint).toBeTruthy()
    const badLimit = await daemon.get("/api/v1/events?limit=0")
    expect(badLimit.status).toBe(400)
    expect(badLimit.json.message).toContain("limit")
    const typo = await daemon.get("/api/v1/events?type=StartRequestd")
    expect(typo.status).toBe(400)
    expect(typo.json).toMatchObject({ _tag: "BadRequest", hint: "did you mean StartRequested?" })
    const nope = await daemon.get("/api/v1/events?type=Nope")
    expect(nope.status).toBe(400)
    expect(nope.json.message).toContain('"Nope"')
    expect(nope.json.hint).toMatch(/did you mean|one of .*StartRequested/)
  }, 40_000)

  it("replays the journal to a seq or a time: every instance as `orch replay --until` has it then", async () => {
    const daemon = await chatHome()
    expect((await daemon.post("/api/v1/instances/chat/start?wait=true&timeout=15")).status).toBe(200)
    expect((await daemon.post("/api/v1/instances/chat/stop?wait=true&timeout=15")).status).toBe(200)
    const journal = types(daemon.home)
    const spawned = journal.find((event) => event.type === "ProcessSpawned")!
    const then = await daemon.get(`/api/v1/replay?until=${spawned.seq}`)
    expect(then.status).toBe(200)
    expect(then.json).toMatchObject({ seq: spawned.seq, at: spawned.at, first_seq: 0 })
    expect(then.json.instances).toHaveLength(1)
    expect(then.json.instances[0]).toMatchObject({ name: "chat", status: "starting", pid: (spawned.data as { pid: number }).pid })
    const cli = JSON.parse(orch(["replay", "--until", String(spawned.seq), "--home", daemon.home, "--json"]).stdout)
    expect(then.json.instances[0].status).toBe(cli.instances.chat.status)
    const byTime = await daemon.get(`/api/v1/replay?at=${spawned.at}`)
    expect(byTime.json.seq).toBeGreaterThanOrEqual(spawned.seq)
    const now = await daemon.get("/api/v1/replay")
    expect(now.json.instances[0]).toMatchObject({ name: "chat", status: "stopped", pid: null })
    expect(now.json.seq).toBe(now.json.last_seq)
    const bad = await daemon.get("/api/v1/replay?until=x")
    expect(bad.status).toBe(400)
    expect(bad.json.message).toMatch(/^until: /)
  })

  it("answers an unknown path with a 404 in its error shape, and a body it will not read with a 400, never a 500", async () => {
    const daemon = await chatHome()
    for (const [method, pathname] of [["GET", "/nope"], ["GET", "/api/v1/nope"], ["DELETE", "/api/v1/instances/chat"], ["GET", "/api/v2/instances"]] as const) {
      const answer = await daemon.call(method, pathname)
      expect(answer.status, `${method} ${pathname}`).toBe(404)
      expect(answer.json).toEqual({ _tag: "NotFound", message: expect.stringContaining(pathname), hint: expect.any(String) })
    }
    // A path outside the API is not answered before the token is checked... but says nothing either.
    expect((await daemon.get("/nope", { token: null })).status).toBe(404)

    const file = configPath(daemon.home, "chat")
    const original = fs.readFileSync(file)
    const entries = fs.readdirSync(path.dirname(file)).sort()
    const json = { "content-type": "application/json" }
    const notJson = await daemon.call("PUT", "/api/v1/instances/chat/config", { headers: json, body: "{not json" })
    expect(notJson.status).toBe(400)
    expect(notJson.json).toMatchObject({ _tag: "BadRequest", message: expect.any(String), hint: expect.any(String) })
    const array = await daemon.call("PUT", "/api/v1/instances/chat/config", { headers: json, body: "[1, 2]" })
    expect(array.status).toBe(400)
    expect(array.json._tag).toBe("BadRequest")

    const huge = JSON.stringify({ model: { path: "tiny.gguf" }, server: { port: 8080 }, padding: "x".repeat(1024 * 1024 + 10) })
    // Refused by its Content-Length before a byte of it is read: only the head is sent, as a client
    // sending the whole body may see the connection closed under its writes (EPIPE) instead.
    const tooBig = await headOnly(daemon, "PUT", "/api/v1/instances/chat/config", { ...json, "content-length": String(Buffer.byteLength(huge)) })
    expect(tooBig.status).toBe(413)
    expect(JSON.parse(tooBig.body)).toMatchObject({ _tag: "TooLarge", message: expect.stringContaining("1048576"), hint: expect.any(String) })
    // Sent in chunks, without a Content-Length to refuse it by: cut off as it is read. Effect's
    // Node server destroys the request stream at the limit, and the connection with it, so no
    // answer comes: a 4xx or a cut connection, never a 500 nor a write.
    const chunked = await daemon
      .call("PUT", "/api/v1/instances/chat/config", { headers: json, body: Readable.from([huge.slice(0, 600_000), huge.slice(600_000)]) })
      .then((answer) => answer.status, (error: Error) => error.message)
    if (typeof chunked === "number") {
      expect(chunked).toBeGreaterThanOrEqual(400)
      expect(chunked).toBeLessThan(500)
    } else expect(chunked).toMatch(/other side closed|ECONNRESET|EPIPE|socket/i)
    expect(fs.readFileSync(file).equals(original)).toBe(true)
    expect(fs.readdirSync(path.dirname(file)).sort()).toEqual(entries)
    // And the daemon answers on.
    expect((await daemon.get("/health")).status).toBe(200)
  })

  it("shows health as `orch health --json` does: every instance with a history, or one with its newest probes from the journal; 404 for one without", async () => {
    const home = simHome()
    addSim(home, "chat", await freePort(), [], { healthcheck: { interval: "200ms", retries: 4 }, restart_policy: { max_retries: 7 } })
    addSim(home, "idle", await freePort())
    const daemon = await startDaemon(home)
    const up = await daemon.post("/api/v1/instances/chat/start?wait=true&timeout=15")
    expect(up.status, up.text).toBe(200)
    const one = await daemon.get("/api/v1/instances/chat/health")
    expect(one.status).toBe(200)
    expect(one.json).toMatchObject({ name: "chat", health: "healthy", status: "running", retries: 4, max_retries: 7 })
    await waitFor(async () => ((await daemon.get("/api/v1/instances/chat/health?last=12")).json.probes.length === 12 ? true : undefined), 15_000, 100)
    const stopped = await daemon.post("/api/v1/instances/chat/stop?wait=true&timeout=15")
    expect(stopped.status, stopped.text).toBe(200)

    // Nothing moves once chat is stopped: the answers are the very text `--json` prints, key for key.
    const printed = (args: ReadonlyArray<string>) => {
      const run = orch([...args, "--json", "--home", home])
      expect(run.code, run.stderr).toBe(1) // chat is not healthy, so neither is `orch health`
      return run.stdout.trimEnd()
    }
    const all = await daemon.get("/api/v1/health/instances")
    expect(all.status).toBe(200)
    expect(all.json.map((instance: { name: string }) => instance.name)).toEqual(["chat"])
    expect(JSON.stringify(all.json, null, 2)).toBe(printed(["health", "--all"]))
    for (const [query, args, count] of [["", [], 10], ["?last=12", ["--last", "12"], 12], ["?last=0", ["--last", "0"], 0]] as const) {
      const answer = await daemon.get(`/api/v1/instances/chat/health${query}`)
      expect(answer.status).toBe(200)
      expect(answer.json.probes).toHaveLength(count)
      expect(JSON.stringify(answer.json, null, 2)).toBe(printed(["health", "chat", ...args]))
    }

    for (const name of ["idle", "nope", "constructor"]) {
      const none = await daemon.get(`/api/v1/instances/${name}/health`)
      expect(none.status, name).toBe(404)
      expect(none.json).toEqual({ _tag: "NotFound", message: expect.stringContaining(`"${name}" has any history`), hint: expect.any(String) })
      expect(orch(["health", name, "--home", home]).stderr).toContain(`no instance "${name}" has any history`)
    }
    for (const query of ["?last=-1", "?last=10001", "?last=1.5", "?last=many"]) {
      const bad = await daemon.get(`/api/v1/instances/chat/health${query}`)
      expect(bad.status, query).toBe(400)
      expect(bad.json._tag).toBe("BadRequest")
    }
    expect((await daemon.get("/api/v1/health/instances", { token: null })).status).toBe(401)
  }, 40_000)

  it("serves the recorded devices as `orch devices --json` does, and the doctor's checks with one for the API", async () => {
    const daemon = await chatHome()
    const fake = path.join(daemon.home, "fake-llama-server")
    fs.writeFileSync(fake, `#!/bin/sh\nprintf '%s' 'Available devices:\n  Vulkan0: AMD Radeon RX 6800 (16368 MiB, 16112 MiB free)\n'\n`, { mode: 0o755 })
    expect(orch(["devices", "--binary", fake, "--home", daemon.home]).code).toBe(0)
    const devices = await daemon.get("/api/v1/devices")
    expect(devices.status).toBe(200)
    expect(devices.json.devices).toEqual([{ name: "Vulkan0", description: "AMD Radeon RX 6800", total_mib: 16368, free_mib: 16112 }])
    expect(devices.json).toEqual(cliJson(["devices", "--json", "--home", daemon.home]))

    const doctor = await daemon.get("/api/v1/doctor")
    expect(doctor.status).toBe(200)
    expect(Array.isArray(doctor.json)).toBe(true)
    expect(doctor.json.find((check: { check: string }) => check.check === "api")).toMatchObject({ status: "ok", detail: expect.stringContaining(daemon.api.url) })
    const cli = JSON.parse(orch(["doctor", "--json", "--home", daemon.home]).stdout)
    expect(doctor.json.map((check: { check: string }) => check.check)).toEqual(cli.map((check: { check: string }) => check.check))
  })

  it("publishes a valid OpenAPI 3.1 document of every endpoint", async () => {
    const daemon = await chatHome()
    const answer = await daemon.get("/api/v1/openapi.json")
    expect(answer.status).toBe(200)
    const document = answer.json
    const checked = await new Validator().validate(document)
    expect(checked.errors ?? []).toEqual([])
    expect(checked.valid).toBe(true)
    expect(document.openapi).toMatch(/^3\.1\./)
    const operations = Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(([template, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${template}`))
    expect(operations.sort()).toEqual(
      [
        "GET /health",
        "GET /api/v1/instances",
        "GET /api/v1/instances/{name}",
        "POST /api/v1/instances/{name}/start",
        "POST /api/v1/instances/{name}/stop",
        "POST /api/v1/instances/{name}/restart",
        "POST /api/v1/requests",
        "GET /api/v1/instances/{name}/config",
        "PUT /api/v1/instances/{name}/config",
        "GET /api/v1/instances/{name}/logs",
        "GET /api/v1/instances/{name}/logs/stream",
        "GET /api/v1/instances/{name}/health",
        "GET /api/v1/health/instances",
        "GET /api/v1/events",
        "GET /api/v1/events/stream",
        "GET /api/v1/replay",
        "GET /api/v1/devices",
        "GET /api/v1/doctor"
      ].sort()
    )
    // Every schema of every JSON answer compiles, its references resolved.
    for (const [template, methods] of Object.entries(document.paths as Spec["paths"])) {
      for (const [method, operation] of Object.entries(methods)) {
        for (const status of Object.keys(operation.responses)) {
          if (operation.responses[status].content?.["application/json"] !== undefined) expect(() => schemaFor(document, method, template.replace(/\{name\}/g, "x"), Number(status))).not.toThrow()
        }
      }
    }
    expect(document.components.securitySchemes).toMatchObject({ bearer: { type: "http", scheme: "bearer" }, cookie: { type: "apiKey", in: "cookie", name: "orch_token" } })
  })

  it("exposes /metrics for Prometheus, its values the ones `orch ps --json` shows", async () => {
    const daemon = await chatHome()
    addSim(daemon.home, "other", await freePort())
    expect((await daemon.post("/api/v1/instances/chat/start?wait=true&timeout=15")).status).toBe(200)
    expect((await daemon.post("/api/v1/instances/other/start?wait=true&timeout=15")).status).toBe(200)
    expect((await daemon.post("/api/v1/instances/other/stop?wait=true&timeout=15")).status).toBe(200)
    // A crash, so that chat has a restart to count.
    const [first] = servers(daemon.home).filter((server) => server.instance === "chat")
    process.kill(first!.pid, "SIGKILL")
    await waitFor(async () => servers(daemon.home).find((server) => server.instance === "chat" && server.pid !== first!.pid), 15_000)
    await healthy(daemon, "chat")

    const metrics = await send(daemon.origin, "GET", "/metrics", {})
    expect(metrics.status).toBe(200)
    expect(String(metrics.headers["content-type"])).toMatch(/^text\/plain/)
    const families = new Map(parsePrometheusTextFormat(metrics.text).map((family) => [family.name, family]))
    const ps = cliJson(["ps", "--json", "--home", daemon.home]) as ReadonlyArray<{ name: string; pid: number | null; status: string; restarts: number }>
    expect(ps.map((row) => [row.name, row.status, row.restarts])).toEqual([["chat", "running", 1], ["other", "stopped", 0]])
    const value = (name: string, labels: Record<string, string>) => {
      const family = families.get(name)
      expect(family, name).toBeDefined()
      const samples = family!.metrics.filter((sample) => Object.entries(labels).every(([key, wanted]) => sample.labels?.[key] === wanted))
      expect(samples, `${name} ${JSON.stringify(labels)}`).toHaveLength(1)
      return Number(samples[0]!.value)
    }
    for (const row of ps) {
      expect(value("orch_instance_up", { instance: row.name }), row.name).toBe(row.pid === null ? 0 : 1)
      expect(value("orch_instance_restarts_total", { instance: row.name }), row.name).toBe(row.restarts)
      const statuses = families.get("orch_instance_status")!.metrics.filter((sample) => sample.labels?.["instance"] === row.name)
      expect(statuses.length).toBeGreaterThan(1)
      expect(statuses.filter((sample) => Number(sample.value) === 1).map((sample) => sample.labels?.["status"])).toEqual([row.status])
      expect(statuses.every((sample) => sample.value === "0" || sample.value === "1")).toBe(true)
    }
    expect(families.get("orch_instance_restarts_total")!.type).toBe("COUNTER")
    expect(Number(families.get("orch_journal_seq")!.metrics[0]!.value)).toBeGreaterThan(0)
  }, 40_000)

  it("serves its docs page to the cookie, with the script from the daemon itself and nothing from elsewhere", async () => {
    const daemon = await chatHome()
    const exchanged = await daemon.get(`/api/docs?token=${daemon.token}`, { token: null })
    const cookie = String(exchanged.headers["set-cookie"]).split(";")[0]!
    const page = await daemon.get("/api/docs", { token: null, headers: { cookie } })
    expect(page.status).toBe(200)
    expect(String(page.headers["content-type"])).toMatch(/^text\/html/)
    const sources = [...page.text.matchAll(/<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)="([^"]*)"/g)].map((match) => match[1])
    expect(sources).toEqual(["/api/docs/api-docs.js"])
    expect(page.text).not.toMatch(/<script[^>]+src="(?:https?:)?\/\//)
    const script = await daemon.get("/api/docs/api-docs.js", { token: null })
    expect(script.status).toBe(200)
    expect(String(script.headers["content-type"])).toMatch(/javascript/)
    expect(script.text.length).toBeGreaterThan(10_000)
  })
})
