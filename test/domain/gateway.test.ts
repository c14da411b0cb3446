import { Schema } from "effect"
import { describe, expect, it } from "vitest"
import { InstanceConfig } from "../../src/domain/config.js"
import type { Envelope, Event } from "../../src/domain/events.js"
import {
  type Activity,
  type Readiness,
  type Route,
  type Waited,
  allStopped,
  idle,
  inTheWay,
  openAiError,
  readiness,
  routeFor,
  waitBound,
  waited
} from "../../src/domain/gateway.js"
import { type InstanceState, fold } from "../../src/domain/instances.js"

/**
 * The gateway's decisions, given what the journal says (events for an instance one second apart
 * from t = 0, folded as the daemon folds them) and what the gateway knows itself.
 */

const written = { model: { path: "m.gguf" }, server: { port: 8080 }, healthcheck: { retries: 2, start_period: 0 } }
const configOf = (over: Record<string, unknown> = {}): InstanceConfig => Schema.decodeUnknownSync(InstanceConfig)({ ...written, ...over })
/** An instance as the gateway routes to it, its gateway section as written in its config. */
const route = (name: string, gateway: Record<string, unknown> = {}): Route => ({ name, gateway: configOf({ gateway }).gateway })

const applied = (over: Record<string, unknown> = {}): Event => ({ _tag: "ConfigApplied", config: { ...written, ...over }, hash: "h1" })
const up: Event = { _tag: "StartRequested", by: "cli" }
const down: Event = { _tag: "StopRequested", by: "cli" }
const restart: Event = { _tag: "RestartRequested", by: "cli" }
const spawned: Event = { _tag: "ProcessSpawned", pid: 10, start_time: "1", argv: ["llama-server"], stdout: "o", stderr: "e" }
const respawned: Event = { _tag: "ProcessSpawned", pid: 11, start_time: "2", argv: ["llama-server"], stdout: "o", stderr: "e" }
const ok: Event = { _tag: "HealthProbed", result: "ok", status: 200, latency_ms: 1, path: "/health" }
const loading: Event = { _tag: "HealthProbed", result: "loading", status: 503, latency_ms: 1, path: "/health" }
const bad: Event = { _tag: "HealthProbed", result: "error", status: 500, latency_ms: 1, path: "/health" }
const exited: Event = { _tag: "ProcessExited", pid: 10, code: 1, signal: null, uptime_ms: 5 }
const stopped: Event = { _tag: "ProcessStopped", pid: 10, how: "graceful", took_ms: 5 }
const scheduled = (due_at: number, reason: "exited" | "unhealthy" = "exited"): Event => ({ _tag: "RestartScheduled", attempt: 1, delay_ms: 1_000, due_at, reason })
const gaveUp: Event = { _tag: "RestartGaveUp", attempts: 2 }
const BOGUS = "it exited with code 1 before it was ready: error: invalid argument: --bogus"
const configError: Event = { _tag: "SpawnFailed", reason: BOGUS, config_error: true }
const portTaken: Event = { _tag: "SpawnFailed", reason: "port 8080 is in use", config_error: false }
const served: Event = {
  _tag: "RequestServed", endpoint: "/v1/chat/completions", status: 200, streamed: false, duration_ms: 5, queued_ms: 0, ttft_ms: null,
  prompt_tokens: 3, completion_tokens: 4, tokens_per_second: 50
}

/** Histories, each event a second after the one before from t = 0. */
const running = [applied(), up, spawned, ok] // spawned at 2 s
const RUNNING_SINCE = 2_000

const given = (events: ReadonlyArray<Event>, name = "a"): InstanceState | undefined =>
  fold(events.map((event, i): Envelope => ({ seq: i + 1, at: i * 1_000, instance: name, event }))).instances[name]

/** Several instances' histories, each from t = 0, folded together. */
const world = (histories: Readonly<Record<string, ReadonlyArray<Event>>>): Readonly<Record<string, InstanceState>> =>
  fold(
    Object.entries(histories)
      .flatMap(([instance, events]) => events.map((event, i) => ({ at: i * 1_000, instance, event })))
      .map((entry, i): Envelope => ({ seq: i + 1, ...entry }))
  ).instances

describe("routeFor: the instance a request's model names", () => {
  const routes = [route("a", { aliases: ["chat", "b"] }), route("b", { aliases: ["embed"] })]
  it.each<[string, string, string | undefined]>([
    ["an instance's name", "a", "a"],
    ["an alias", "chat", "a"],
    ["an alias of another instance than the first", "embed", "b"],
    ["a name beats an alias (even one lint would refuse)", "b", "b"],
    ["an unknown model: none", "gpt-4o", undefined],
    ["names are matched exactly (case)", "A", undefined],
    ["names are matched exactly (no trimming)", " a", undefined],
    ["an empty model: none", "", undefined]
  ])("%s", (_, model, expected) => {
    expect(routeFor(model, routes)?.name).toBe(expected)
  })

  it("hands back the route itself, with whatever else it carries", () => {
    const rich = [{ ...route("a"), port: 8080 }]
    expect(routeFor("a", rich)).toBe(rich[0])
  })

  it("none among no routes", () => {
    expect(routeFor("a", [])).toBeUndefined()
  })
})

describe("readiness: given the instance's history and its gateway section, whether a request can go now", () => {
  const ready: Readiness = { _tag: "Ready" }
  const wait: Readiness = { _tag: "Wait" }
  const start: Readiness = { _tag: "Start" }
  const notRunning: Readiness = { _tag: "Refuse", message: "a is not running: start it with `orch up a`, or set gateway.on_demand in its config" }
  const failed = (why: string): Readiness => ({ _tag: "Refuse", message: `a failed: ${why}; \`orch up a\` tries again (\`orch logs a --stderr\` says why)` })
  const onDemand = { on_demand: true }

  it.each<[string, ReadonlyArray<Event> | undefined, Record<string, unknown>, Readiness]>([
    // ---- a server that can take it
    ["running and healthy", running, {}, ready],
    ["running and healthy, on demand", running, onDemand, ready],
    ["running and healthy again after a probe failure short of retries", [...running, bad, ok], {}, ready],
    // ---- a server on its way
    ["asked up, not spawned yet", [applied(), up], {}, wait],
    ["starting (spawned, no probe yet)", [applied(), up, spawned], {}, wait],
    ["loading", [applied(), up, spawned, loading], {}, wait],
    ["running but unhealthy (its restart to come)", [...running, bad, bad], {}, wait],
    ["running but unhealthy, its restart scheduled", [...running, bad, bad, scheduled(100_000, "unhealthy")], {}, wait],
    ["running and healthy, a restart asked for", [...running, restart], {}, wait],
    ["running and healthy, a restart asked for, on demand", [...running, restart], onDemand, wait],
    ["in backoff after a crash", [...running, exited, scheduled(100_000)], {}, wait],
    ["crashed, its restart not yet scheduled", [...running, exited], onDemand, wait],
    ["a start that failed for a reason a retry may mend (port taken)", [applied(), up, portTaken], {}, wait],
    ["stopping, asked up again", [...running, down, up], {}, wait],
    ["stopped, asked up again", [...running, down, stopped, up], {}, wait],
    ["failed, asked up again (a fresh chance)", [applied(), up, configError, up], {}, wait],
    // ---- none wanted, on demand: start one
    ["never heard of (no state), on demand", undefined, onDemand, start],
    ["config applied, never asked up, on demand", [applied()], onDemand, start],
    ["stopped, on demand", [...running, down, stopped], onDemand, start],
    ["stopping, on demand", [...running, down], onDemand, start],
    ["failed by a configuration error, on demand", [applied(), up, configError], onDemand, start],
    ["given up on after its restarts, on demand", [...running, exited, gaveUp], onDemand, start],
    ["given up on while its server still runs, on demand", [applied({ restart_policy: { max_retries: 0 } }), up, spawned, ok, bad, bad, gaveUp], onDemand, start],
    // ---- none wanted, not on demand: refuse
    ["never heard of (no state)", undefined, {}, notRunning],
    ["config applied, never asked up", [applied()], {}, notRunning],
    ["stopped", [...running, down, stopped], {}, notRunning],
    ["stopping", [...running, down], {}, notRunning],
    ["failed by a configuration error: its words", [applied(), up, configError], {}, failed(BOGUS)],
    ["given up on after its restarts", [...running, exited, gaveUp], {}, failed("gave up after 2 restarts")],
    ["failed, then asked down: still failed", [applied(), up, configError, down], {}, failed(BOGUS)]
  ])("%s", (_, events, gateway, expected) => {
    expect(readiness(route("a", gateway), events === undefined ? undefined : given(events))).toEqual(expected)
  })

  it("a failed instance with no recorded error still says what to do", () => {
    const instance = { ...given([applied()])!, status: "failed" as const, last_error: null }
    expect(readiness(route("a"), instance)).toEqual(failed("it did not start"))
  })
})

describe("waited: given the history since a request began waiting, whether it can go or never will", () => {
  const go: Waited = { done: true, ok: true }
  const not: Waited = { done: false }
  const fails = (message: string): Waited => ({ done: true, ok: false, message })
  const retried = fails("a did not start: port 8080 is in use (the daemon tries again under its restart_policy)")
  const FAILED_AT = 2_000 // portTaken's time in [applied(), up, portTaken]

  it.each<[string, ReadonlyArray<Event> | undefined, number, Waited]>([
    ["no state yet: wait on", undefined, 0, not],
    ["asked up, not spawned: wait on", [applied(), up], 0, not],
    ["starting: wait on", [applied(), up, spawned], 0, not],
    ["loading: wait on", [applied(), up, spawned, loading], 0, not],
    ["healthy: go", running, 0, go],
    ["healthy, but a restart pending: wait for the new server", [...running, restart], 0, not],
    ["unhealthy: wait for its restart", [...running, bad, bad], 0, not],
    ["crashed, in backoff: wait for the restart", [...running, exited, scheduled(100_000)], 0, not],
    ["crashed and restarted, healthy again: go", [...running, exited, scheduled(5_000), respawned, ok], 0, go],
    ["failed by a configuration error: its words", [applied(), up, configError], 0, fails(`a did not start: ${BOGUS}`)],
    ["failed by a configuration error before the wait began: failed all the same", [applied(), up, configError], 10_000, fails(`a did not start: ${BOGUS}`)],
    ["given up on: why", [...running, exited, gaveUp], 0, fails("a did not start: gave up after 2 restarts")],
    ["a start failed after the wait began", [applied(), up, portTaken], FAILED_AT - 1, retried],
    ["a start failed just as the wait began", [applied(), up, portTaken], FAILED_AT, retried],
    ["a start failed before the wait began: the retry is waited for", [applied(), up, portTaken], FAILED_AT + 1, not],
    ["a failed start followed by a new server no longer counts", [applied(), up, portTaken, spawned], 0, not],
    ["stopped while it waited", [applied(), up, spawned, down], 0, fails("a was stopped while the request waited for it")],
    ["stopped, its server gone, while it waited", [applied(), up, spawned, down, stopped], 0, fails("a was stopped while the request waited for it")],
    ["stopping, but asked up again: wait on", [...running, down, up], 0, not]
  ])("%s", (_, events, since, expected) => {
    expect(waited(events === undefined ? undefined : given(events), since)).toEqual(expected)
  })
})

describe("waitBound: how long a request may wait for its server", () => {
  const slow = applied({ healthcheck: { retries: 2, start_period: "30s" } })
  it.each<[string, ReadonlyArray<Event> | undefined, number, number]>([
    ["no state: the fallback", undefined, 0, 7_777],
    ["no config applied: the default start_period (5m)", [up], 0, 300_000],
    ["its start_period", [slow, up], 0, 30_000],
    ["starting: its whole start_period still", [slow, up, spawned], 10_000, 30_000],
    ["in backoff: its start_period plus what is left of the delay", [slow, up, spawned, exited, scheduled(50_000)], 30_000, 50_000],
    ["in backoff, the restart due now: its start_period", [slow, up, spawned, exited, scheduled(50_000)], 50_000, 30_000],
    ["in backoff, the restart overdue: its start_period, never less", [slow, up, spawned, exited, scheduled(50_000)], 90_000, 30_000],
    ["restarted: the backoff is over", [slow, up, spawned, exited, scheduled(5_000), respawned], 6_000, 30_000]
  ])("%s", (_, events, now, expected) => {
    expect(waitBound(events === undefined ? undefined : given(events), now, 7_777)).toBe(expected)
  })
})

describe("idle: the servers idle past their ttl", () => {
  const TTL = 60_000
  const withTtl = { ttl: "1m" }
  const quiet = new Map<string, Activity>()
  const seen = (activity: Activity) => new Map([["a", activity]])

  it.each<[string, Record<string, unknown>, ReadonlyArray<Event>, ReadonlyMap<string, Activity>, number, ReadonlyArray<string>]>([
    // ---- counted from the start
    ["no request since its start, exactly ttl ago: idle", withTtl, running, quiet, RUNNING_SINCE + TTL, ["a"]],
    ["no request since its start, a moment short of ttl: not yet", withTtl, running, quiet, RUNNING_SINCE + TTL - 1, []],
    ["long past ttl: idle", withTtl, running, quiet, 10_000_000, ["a"]],
    ["still loading past ttl (a server that is up): idle", withTtl, [applied(), up, spawned], quiet, RUNNING_SINCE + TTL, ["a"]],
    ["a new server after a crash: counted from its own start", withTtl, [...running, exited, scheduled(5_000), respawned], quiet, 6_000 + TTL - 1, []],
    ["a new server after a crash, ttl after its start: idle", withTtl, [...running, exited, scheduled(5_000), respawned], quiet, 6_000 + TTL, ["a"]],
    // ---- counted from the newest request
    ["a request since (the gateway's own count): counted from its end", withTtl, running, seen({ inFlight: 0, lastAt: 30_000 }), 30_000 + TTL - 1, []],
    ["a request since, ttl ago: idle", withTtl, running, seen({ inFlight: 0, lastAt: 30_000 }), 30_000 + TTL, ["a"]],
    ["a request to the server before (older than the start): counted from the start", withTtl, running, seen({ inFlight: 0, lastAt: 1_000 }), RUNNING_SINCE + TTL, ["a"]],
    ["a request the journal holds (a daemon restarted since): counted from it", withTtl, [...running, served, served], quiet, 5_000 + TTL - 1, []],
    ["a request the journal holds, ttl ago: idle", withTtl, [...running, served, served], quiet, 5_000 + TTL, ["a"]],
    ["the journal's request newer than the gateway's: the journal's", withTtl, [...running, served, served], seen({ inFlight: 0, lastAt: 3_000 }), 5_000 + TTL - 1, []],
    ["the gateway's request newer than the journal's: the gateway's", withTtl, [...running, served], seen({ inFlight: 0, lastAt: 40_000 }), 40_000 + TTL - 1, []],
    // ---- never idle
    ["a request in flight, long past ttl: never", withTtl, running, seen({ inFlight: 1, lastAt: 0 }), 10_000_000, []],
    ["no ttl: never", {}, running, quiet, 10_000_000, []],
    ["asked down, its server stopping: not for the gateway to stop", withTtl, [...running, down], quiet, 10_000_000, []],
    ["stopped: nothing to stop", withTtl, [...running, down, stopped], quiet, 10_000_000, []],
    ["asked up, no server yet: nothing to stop", withTtl, [applied(), up], quiet, 10_000_000, []],
    ["in backoff, no server: nothing to stop", withTtl, [...running, exited, scheduled(100_000)], quiet, 10_000_000, []],
    ["never heard of: nothing to stop", withTtl, [], quiet, 10_000_000, []]
  ])("%s", (_, gateway, events, activity, now, expected) => {
    expect(idle([route("a", gateway)], world({ a: events }), activity, now)).toEqual(expected)
  })

  it("names, in the routes' order, only those with a ttl, a server wanted up, and nothing in flight", () => {
    const routes = [route("a", withTtl), route("b"), route("c", { ttl: "2m" }), route("d", withTtl), route("e", withTtl), route("f", withTtl)]
    const state = world({ a: running, b: running, c: running, d: running, e: [...running, down], f: [applied(), up] })
    const activity = new Map([["d", { inFlight: 2, lastAt: 0 }]])
    expect(idle(routes, state, activity, RUNNING_SINCE + TTL)).toEqual(["a"])
    expect(idle(routes, state, activity, RUNNING_SINCE + 2 * TTL)).toEqual(["a", "c"])
  })
})

describe("inTheWay: the other members of an exclusive group to stop before a member starts", () => {
  const routes = [route("a", { group: "g" }), route("b", { group: "g" }), route("c", { group: "g" }), route("d", { group: "h" }), route("e")]
  it.each<[string, Readonly<Record<string, ReadonlyArray<Event>>>, ReadonlyArray<string>]>([
    ["none of them known", {}, []],
    ["another member running", { b: running }, ["b"]],
    ["another member starting", { b: [applied(), up, spawned] }, ["b"]],
    ["another member asked up, no server yet", { b: [applied(), up] }, ["b"]],
    ["another member in backoff (it wants one)", { b: [...running, exited, scheduled(100_000)] }, ["b"]],
    ["another member stopping", { b: [...running, down] }, ["b"]],
    ["another member failed while its server still runs", { b: [applied({ restart_policy: { max_retries: 0 } }), up, spawned, ok, bad, bad, gaveUp] }, ["b"]],
    ["another member given up on (still wanted up)", { b: [...running, exited, gaveUp] }, ["b"]],
    ["another member stopped", { b: [...running, down, stopped] }, []],
    ["another member with a config, never asked up", { b: [applied()] }, []],
    ["another member failed, then asked down", { b: [applied(), up, configError, down] }, []],
    ["the target itself running is not in its own way", { a: running }, []],
    ["members of another group and of none are not in the way", { d: running, e: running }, []],
    ["every member in the way, in the routes' order", { a: running, c: [...running, down], b: [applied(), up], d: running, e: running }, ["b", "c"]]
  ])("%s", (_, histories, expected) => {
    expect(inTheWay("g", "a", routes, world(histories))).toEqual(expected)
  })

  it("an instance with no route is not in the way, whatever its state", () => {
    expect(inTheWay("g", "a", routes, world({ x: running }))).toEqual([])
  })
})

describe("allStopped: whether none of them has a server any more", () => {
  it.each<[string, ReadonlyArray<string>, Readonly<Record<string, ReadonlyArray<Event>>>, boolean]>([
    ["no names", [], { a: running }, true],
    ["never heard of", ["b"], {}, true],
    ["stopped", ["b"], { b: [...running, down, stopped] }, true],
    ["crashed after being asked down", ["b"], { b: [...running, down, exited] }, true],
    ["never started", ["b"], { b: [applied()] }, true],
    ["failed, no server", ["b"], { b: [applied(), up, configError] }, true],
    ["stopping, its server still there", ["b"], { b: [...running, down] }, false],
    ["running", ["b"], { b: running }, false],
    ["starting", ["b"], { b: [applied(), up, spawned] }, false],
    ["failed while its server still runs", ["b"], { b: [applied({ restart_policy: { max_retries: 0 } }), up, spawned, ok, bad, bad, gaveUp] }, false],
    ["one of several still stopping", ["b", "c"], { b: [...running, down, stopped], c: [...running, down] }, false],
    ["all of several stopped", ["b", "c"], { b: [...running, down, stopped], c: [...running, down, stopped] }, true],
    ["only the names asked about count", ["b"], { b: [...running, down, stopped], c: running }, true]
  ])("%s", (_, names, histories, expected) => {
    expect(allStopped(names, world(histories))).toBe(expected)
  })
})

describe("openAiError: OpenAI's error body", () => {
  it.each<[string, ReturnType<typeof openAiError>, unknown]>([
    ["without a code", openAiError("no such model", "invalid_request_error"), { error: { message: "no such model", type: "invalid_request_error", param: null, code: null } }],
    ["with a code", openAiError("The model `x` does not exist", "invalid_request_error", "model_not_found"),
      { error: { message: "The model `x` does not exist", type: "invalid_request_error", param: null, code: "model_not_found" } }]
  ])("%s", (_, body, expected) => {
    expect(body).toEqual(expected)
  })
})
