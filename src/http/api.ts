import { HttpApi, HttpApiEndpoint, HttpApiGroup, HttpApiMiddleware, HttpApiSchema, HttpApiSecurity, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { NAME_PATTERN } from "../domain/name.js"
import { BadRequest, Forbidden, Invalid, NotDone, NotFound, TooLarge, Unauthorized } from "./errors.js"
import * as Shapes from "../app/shapes.js"

/**
 * The daemon's HTTP API as a value (DESIGN.md §9): the handlers are built from it, and the
 * OpenAPI document at /api/v1/openapi.json is derived from it, never written by hand.
 */

export const TOKEN_COOKIE = "orch_token"

/** Every /api/ request: the daemon's token as a Bearer header, or the cookie a token URL set. */
export class Authorized extends HttpApiMiddleware.Tag<Authorized>()("Authorized", {
  failure: Schema.Union(Unauthorized, Forbidden),
  security: {
    bearer: HttpApiSecurity.bearer.pipe(HttpApiSecurity.annotate(OpenApi.Description, "The token `orch api` prints")),
    cookie: HttpApiSecurity.apiKey({ key: TOKEN_COOKIE, in: "cookie" }).pipe(
      HttpApiSecurity.annotate(OpenApi.Description, "Set by opening the token URL `orch api` prints (HttpOnly, SameSite=Strict)")
    )
  }
}) {}

const InstanceName = Schema.String.pipe(
  Schema.pattern(NAME_PATTERN, { message: () => "is not an instance name: lowercase letters, digits, - and _ (up to 64)" })
).annotations({ description: "An instance of the home (its folder under instances/)" })
const Named = Schema.Struct({ name: InstanceName })

const Seconds = Schema.NumberFromString.pipe(Schema.int(), Schema.between(1, 86_400)).annotations({ description: "Seconds, 1 to 86400" })
const Flag = Schema.Literal("true", "false", "1", "0").annotations({ description: "true or false" })

const WaitParams = Schema.Struct({
  wait: Schema.optional(Flag.annotations({ description: "Answer once it is done (healthy, or stopped), as `orch up` waits; default false" })),
  timeout: Schema.optional(Seconds.annotations({ description: "How long to wait (default: its start period + 30 s)" }))
})

const Requested = Schema.Struct({
  seq: Schema.Number.annotations({ description: "The seq of the request's event: follow /api/v1/events/stream?after=seq-1 to see what comes of it" }),
  instance: Schema.String
}).annotations({ identifier: "Requested" })
export type Requested = typeof Requested.Type

const Done = Schema.Struct({
  seq: Schema.Number,
  instance: Schema.String,
  text: Schema.String.annotations({ description: "How it ended, as `orch up` prints it" })
}).annotations({ identifier: "Done" })

const lifecycle = <Name extends "start" | "stop" | "restart">(name: Name, what: string) =>
  HttpApiEndpoint.post(name, `/instances/:name/${name}`)
    .setPath(Named)
    .setUrlParams(WaitParams)
    .addSuccess(Requested.pipe(HttpApiSchema.withEncoding({ kind: "Json" })), { status: 202 })
    .addSuccess(Done)
    .addError(NotFound)
    .addError(Invalid)
    .addError(NotDone)
    .annotate(OpenApi.Description, `${what}: records the same request \`orch\` records (by: api). 202 with its seq; with ?wait=true, 200 once done or 504 with the last probe and the stderr tail.`)

const ConfigDoc = Schema.Struct({
  name: Schema.String,
  file: Schema.String,
  config: Schema.Record({ key: Schema.String, value: Schema.Unknown }).annotations({ description: "The file's JSON, secrets shown as ***" })
}).annotations({ identifier: "ConfigDoc" })
export type ConfigDoc = typeof ConfigDoc.Type

const LogStream = Schema.Literal("stdout", "stderr")
const LogParams = Schema.Struct({
  stream: Schema.optional(LogStream.annotations({ description: "Which log (default stderr, where llama-server logs)" })),
  tail: Schema.optional(Schema.NumberFromString.pipe(Schema.int(), Schema.between(0, 100_000)).annotations({ description: "The last N lines (default 100)" }))
})
const LogLines = Schema.Struct({
  name: Schema.String,
  stream: LogStream,
  file: Schema.String,
  lines: Schema.Array(Schema.String)
}).annotations({ identifier: "LogLines" })

const EventStream = Schema.String.pipe(HttpApiSchema.withEncoding({ kind: "Text", contentType: "text/event-stream" })).annotations({
  description: "Server-sent events: `id:` the seq, `event:` the type, `data:` the event as `orch events --json` prints it; resumes after Last-Event-ID"
})

/** A whole `orch up|down|restart` as one request: what the CLI records, recorded by the daemon. */
const RequestsBody = Schema.Struct({
  action: Schema.Literal("up", "down", "restart").annotations({
    description: "What `orch` command it is",
    message: () => ({ message: 'is not an action: "up", "down" or "restart"', override: true })
  }),
  names: Schema.optional(Schema.Array(InstanceName).annotations({ description: "The instances (not empty); or all: true", message: () => "is not a list of instance names" })),
  all: Schema.optional(Schema.Boolean.annotations({ description: "Every instance, as --all: for up every one configured on disk, else every one the journal knows", message: () => "is not true or false" })),
  by: Schema.optional(
    Schema.Literal("cli", "api").annotations({ description: "Who asks, as the events record it (default api; `orch` sends cli)", message: () => ({ message: 'is not "cli" or "api"', override: true }) })
  )
}).annotations({ identifier: "RequestsBody" })
export type RequestsBody = typeof RequestsBody.Type

const RequestsRecorded = Schema.Struct({
  after: Schema.Number.annotations({ description: "The seq the requests follow: follow /api/v1/events/stream?after= it to see what comes of them" }),
  names: Schema.Array(Schema.String).annotations({ description: "The instances asked for, names or all resolved ([]: none, and nothing recorded)" })
}).annotations({ identifier: "RequestsRecorded" })

const requests = HttpApiEndpoint.post("requests", "/requests")
  .setPayload(RequestsBody)
  .addSuccess(RequestsRecorded, { status: 202 })
  .addError(Invalid)
  .annotate(
    OpenApi.Description,
    "A whole `orch up|down|restart NAME… | --all` in one request, recorded in one append as the CLI records it. For up every config is checked first: any problem is a 422 with the findings, and nothing is recorded. 202 with the seq to follow the journal from."
  )

export const InstancesGroup = HttpApiGroup.make("instances")
  .add(HttpApiEndpoint.get("list", "/instances").addSuccess(Schema.Array(Shapes.PsRow)).annotate(OpenApi.Description, "Every instance: what `orch ps --json` prints"))
  .add(HttpApiEndpoint.get("get", "/instances/:name").setPath(Named).addSuccess(Shapes.Described).addError(NotFound).annotate(OpenApi.Description, "One instance: what `orch describe --json` prints"))
  .add(lifecycle("start", "Start it (its config is checked as `orch up` checks it)"))
  .add(lifecycle("stop", "Stop it"))
  .add(lifecycle("restart", "Restart it"))
  .add(requests)
  .add(HttpApiEndpoint.get("config", "/instances/:name/config").setPath(Named).addSuccess(ConfigDoc).addError(NotFound))
  .add(
    HttpApiEndpoint.put("putConfig", "/instances/:name/config")
      .setPath(Named)
      .setPayload(Schema.Record({ key: Schema.String, value: Schema.Unknown }).annotations({ description: "The whole config; a *** where a secret was keeps the secret on disk" }))
      .addSuccess(ConfigDoc)
      .addError(Invalid)
      .annotate(OpenApi.Description, "Create or replace its config, checked exactly as `orch config validate` checks it (422 with its findings) and written whole or not at all")
  )
  .add(HttpApiEndpoint.get("logs", "/instances/:name/logs").setPath(Named).setUrlParams(LogParams).addSuccess(LogLines).addError(NotFound))
  .add(
    HttpApiEndpoint.get("followLogs", "/instances/:name/logs/stream")
      .setPath(Named)
      .setUrlParams(LogParams)
      .addSuccess(EventStream.annotations({ description: "Server-sent events: `data:` one line each, after the last `tail` lines" }))
      .addError(NotFound)
  )
  .middleware(Authorized)
  .prefix("/api/v1")

const EventsParams = Schema.Struct({
  after: Schema.optional(Schema.NumberFromString.pipe(Schema.int(), Schema.nonNegative()).annotations({ description: "Only events after this seq" })),
  instance: Schema.optional(InstanceName),
  type: Schema.optional(Schema.String.annotations({ description: "Event types, separated by commas" })),
  since: Schema.optional(Schema.NumberFromString.pipe(Schema.int()).annotations({ description: "Only events at or after this time (ms since the epoch)" })),
  before: Schema.optional(
    Schema.NumberFromString.pipe(Schema.int(), Schema.positive()).annotations({ description: "Only events before this seq, and then the newest `limit` of them: to page back from the newest" })
  ),
  limit: Schema.optional(Schema.NumberFromString.pipe(Schema.int(), Schema.between(1, 10_000)).annotations({ description: "At most this many (default 1000)" }))
})
export const StreamParams = EventsParams.omit("limit", "since", "before")
const EventsPage = Schema.Struct({
  events: Schema.Array(Shapes.EventJson),
  next_after: Schema.Number.annotations({ description: "Where the next page starts: pass it as ?after=" }),
  last_seq: Schema.Number.annotations({ description: "The journal's newest seq" })
}).annotations({ identifier: "EventsPage" })
export type EventsPage = typeof EventsPage.Type

const ReplayParams = Schema.Struct({
  until: Schema.optional(Schema.NumberFromString.pipe(Schema.int(), Schema.nonNegative()).annotations({ description: "Up to and with this seq" })),
  at: Schema.optional(Schema.NumberFromString.pipe(Schema.int()).annotations({ description: "Up to this time (ms since the epoch), if no seq is given" }))
})
const Replayed = Schema.Struct({
  seq: Schema.Number.annotations({ description: "The last event folded (0: none)" }),
  at: Schema.NullOr(Schema.Number).annotations({ description: "When it happened (ms since the epoch); null for none" }),
  first_seq: Schema.Number.annotations({ description: "The earliest seq the journal can be replayed to (after a compaction, its base)" }),
  last_seq: Schema.Number.annotations({ description: "The journal's newest seq" }),
  instances: Schema.Array(Shapes.PsRow).annotations({ description: "Every instance as `orch ps` would have shown it then" })
}).annotations({ identifier: "Replayed" })
export type Replayed = typeof Replayed.Type

export const EventsGroup = HttpApiGroup.make("events")
  .add(HttpApiEndpoint.get("page", "/events").setUrlParams(EventsParams).addSuccess(EventsPage).annotate(OpenApi.Description, "A page of the journal, oldest first"))
  .add(
    HttpApiEndpoint.get("stream", "/events/stream")
      .setUrlParams(StreamParams)
      .addSuccess(EventStream)
      .annotate(OpenApi.Description, "The journal as it grows, from ?after= or Last-Event-ID: never a gap nor a duplicate, a heartbeat comment every 15 s")
  )
  .add(
    HttpApiEndpoint.get("replay", "/replay")
      .setUrlParams(ReplayParams)
      .addSuccess(Replayed)
      .annotate(OpenApi.Description, "Every instance as it was at a seq or a time: the journal folded up to there, as `orch replay --until` does")
  )
  .middleware(Authorized)
  .prefix("/api/v1")

export const MachineGroup = HttpApiGroup.make("machine")
  .add(HttpApiEndpoint.get("devices", "/devices").addSuccess(Shapes.DevicesJson).annotate(OpenApi.Description, "What `orch devices --json` prints"))
  .add(HttpApiEndpoint.get("doctor", "/doctor").addSuccess(Shapes.DoctorJson).annotate(OpenApi.Description, "What `orch doctor --json` prints"))
  .middleware(Authorized)
  .prefix("/api/v1")

const HealthParams = Schema.Struct({
  last: Schema.optional(Schema.NumberFromString.pipe(Schema.int(), Schema.between(0, 10_000)).annotations({ description: "The newest N probes, 0 to 10000 (default 10), as --last" }))
})

export const HealthGroup = HttpApiGroup.make("health")
  .add(HttpApiEndpoint.get("instances", "/health/instances").addSuccess(Shapes.HealthAllJson).annotate(OpenApi.Description, "Every instance with a history: what `orch health --all --json` prints"))
  .add(
    HttpApiEndpoint.get("instance", "/instances/:name/health")
      .setPath(Named)
      .setUrlParams(HealthParams)
      .addSuccess(Shapes.HealthJson)
      .addError(NotFound)
      .annotate(OpenApi.Description, "One instance's health and its newest probes from the journal: what `orch health NAME --json --last N` prints; 404 for one with no history")
  )
  .middleware(Authorized)
  .prefix("/api/v1")

export const DaemonHealth = Schema.Struct({
  status: Schema.Literal("ok"),
  version: Schema.String,
  pid: Schema.Number,
  seq: Schema.Number.annotations({ description: "The newest seq the daemon has folded" })
}).annotations({ identifier: "DaemonHealth" })

export const DaemonGroup = HttpApiGroup.make("daemon").add(
  HttpApiEndpoint.get("health", "/health").addSuccess(DaemonHealth).addError(Forbidden).annotate(OpenApi.Description, "The daemon itself: no token needed (a foreign Host is refused, as everywhere)")
)

export class Api extends HttpApi.make("orch")
  .add(DaemonGroup)
  .add(InstancesGroup)
  .add(HealthGroup)
  .add(EventsGroup)
  .add(MachineGroup)
  .addError(BadRequest)
  .addError(TooLarge)
  .annotateContext(
    OpenApi.annotations({
      title: "llama-orchestrator",
      description: "The control plane of an orch daemon: its instances, their requests, configs and logs, and the journal of everything that happened"
    })
  ) {}
