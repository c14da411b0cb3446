import * as http from "node:http"
import { HttpApiBuilder, HttpMiddleware } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Context, Effect, Either, Layer, PubSub, Queue, Runtime, Schedule } from "effect"
import { readSettings } from "../config/settings.js"
import { hostPort, reachable } from "../domain/address.js"
import { oneLine } from "../domain/findings.js"
import { DEFAULT_LISTEN, listenAddress, type Settings } from "../domain/settings.js"
import { ensureApiToken } from "../runtime/api-token.js"
import { removeDaemonAddress, writeDaemonAddress } from "../runtime/daemon-address.js"
import { DaemonState } from "../runtime/daemon-state.js"
import { beat } from "../runtime/feed.js"
import { Api } from "./api.js"
import { AuthorizedLive, allowedHosts, type Guard, guarded } from "./auth.js"
import { ConsoleLive } from "./console.js"
import { directStreams } from "./direct-stream.js"
import { EventHub, makeEventHub } from "./event-hub.js"
import { EventsLive } from "./events.js"
import { makeAdmission } from "./gateway/admission.js"
import { makeGateway } from "./gateway/handler.js"
import { makeRouteTable } from "./gateway/routes.js"
import { HealthLive } from "./health.js"
import { InstancesLive } from "./instances.js"
import { DaemonHealthLive, MachineLive } from "./machine.js"
import { RoutesLive } from "./routes.js"
import { HEARTBEAT_MS } from "./sse.js"

const problemOf = (cause: unknown) => {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code
  return code === "EADDRINUSE"
    ? "the port is taken by another process"
    : code === "EADDRNOTAVAIL"
      ? "the address is not one of this machine's"
      : code === "EACCES"
        ? "binding it needs privileges (use a port above 1023)"
        : String((cause as Error | undefined)?.message ?? cause)
}

/**
 * No tracing spans: nothing collects them, and a span and its attributes live as long as their
 * response (for an event stream answered by the API, as long as its client stays).
 */
const untraced = () => true

const serve = (guard: Guard, hub: EventHub["Type"], server: Context.Context<Layer.Layer.Success<ReturnType<typeof NodeHttpServer.layer>>>) =>
  HttpApiBuilder.serve(guarded(guard)).pipe(
    HttpMiddleware.withTracerDisabledWhen(untraced),
    Layer.provide(RoutesLive(guard)),
    Layer.provide(ConsoleLive),
    Layer.provide(HttpApiBuilder.api(Api).pipe(Layer.provide([InstancesLive, EventsLive.pipe(Layer.provide(Layer.succeed(EventHub, hub))), HealthLive, MachineLive, DaemonHealthLive]))),
    Layer.provide(AuthorizedLive(guard)),
    Layer.provide(Layer.succeedContext(server))
  )

/** How often the gateway looks for servers idle past their ttl. */
const IDLE_LOOK_MS = 1_000

/**
 * The gateway (src/http/gateway/), for as long as the listener lasts: it looks again at every
 * chunk the daemon folds (a server ready, a server gone), and stops the idle once a second.
 */
const startGateway = (daemon: DaemonState["Type"], settings: Settings["gateway"], hosts: ReadonlySet<string>) =>
  Effect.gen(function* () {
    const runtime = yield* Effect.runtime<never>()
    const table = yield* Effect.acquireRelease(Effect.sync(() => makeRouteTable(daemon.home)), (table) => Effect.sync(() => table.close()))
    const admission = makeAdmission(
      { state: () => daemon.folded.state, record: (decided) => Runtime.runPromise(runtime)(daemon.recordDecided(decided)), home: daemon.home },
      table,
      settings,
      (instance, seconds) => daemon.metrics.observeColdStart(instance, seconds)
    )
    const changes = yield* PubSub.subscribe(daemon.feed)
    yield* Effect.forkScoped(Effect.forever(Effect.zipRight(Queue.take(changes), Effect.sync(() => admission.changed()))))
    yield* Effect.forkScoped(
      Effect.repeat(
        Effect.catchAllCause(Effect.promise(() => admission.stopIdle()), (cause) => Effect.logError("gateway: looking for idle servers failed", cause)),
        Schedule.spaced(IDLE_LOOK_MS)
      )
    )
    daemon.metrics.gatewayQueue(() => admission.queued())
    return yield* Effect.acquireRelease(
      Effect.sync(() =>
        makeGateway({
          state: () => daemon.folded.state,
          table,
          admission,
          settings,
          hosts,
          served: (instance, event) => Runtime.runSync(runtime)(daemon.recordServed(instance, event))
        })
      ),
      (gateway) => Effect.promise(() => gateway.close())
    )
  })

/**
 * The daemon's HTTP listener (DESIGN.md §9), started after the journal, on orch.json's
 * `http.listen`. A listener that cannot start (its port taken, a bad orch.json) is said in the
 * log and recorded, and the daemon supervises on without it: the servers matter more than the API.
 */
export const ListenerLive = Layer.scopedDiscard(
  Effect.gen(function* () {
    const daemon = yield* DaemonState
    const settings = yield* readSettings(daemon.home)
    if (Either.isLeft(settings)) {
      const problem = `orch.json: ${settings.left.map((finding) => `${finding.field === "" ? "" : `${finding.field} `}${oneLine(finding.problem)}`).join("; ")}`
      yield* Effect.logError(`no API: ${problem} (\`orch config lint\` says how to fix it)`)
      yield* daemon.record(null, { _tag: "ApiFailed", host: DEFAULT_LISTEN.host, port: DEFAULT_LISTEN.port, problem })
      return
    }
    const listen = listenAddress(settings.right)
    if (listen === "off") return
    const token = settings.right.http.auth === "token" ? yield* Effect.either(ensureApiToken(daemon.home)) : Either.right(undefined)
    if (Either.isLeft(token)) {
      const problem = `cannot make its token: ${problemOf(token.left.error)}`
      yield* Effect.logError(`no API: ${problem}`)
      yield* daemon.record(null, { _tag: "ApiFailed", host: listen.host, port: listen.port, problem })
      return
    }
    const scope = yield* Effect.scope
    const node = http.createServer({ requestTimeout: 0 })
    const built = yield* Effect.either(Layer.buildWithScope(NodeHttpServer.layer(() => node, { host: listen.host, port: listen.port }), scope))
    if (Either.isLeft(built)) {
      const problem = problemOf(built.left.cause)
      yield* Effect.logError(`no API on ${hostPort(listen.host, listen.port)}: ${problem}; supervising on without it (set http.listen in orch.json)`)
      yield* daemon.record(null, { _tag: "ApiFailed", host: listen.host, port: listen.port, problem })
      return
    }
    // Event streams stay open: they are cut when the daemon stops, or closing would wait for them.
    yield* Effect.addFinalizer(() => Effect.sync(() => node.closeAllConnections()))
    const address = node.address()
    const port = typeof address === "object" && address !== null ? address.port : listen.port
    const guard = { token: token.right, host: listen.host, port }
    const hub = yield* Effect.orDie(makeEventHub(daemon.journal, daemon.feed))
    yield* Layer.buildWithScope(serve(guard, hub, built.right).pipe(Layer.provide(Layer.succeed(DaemonState, daemon))), scope)
    const gateway = yield* startGateway(daemon, settings.right.gateway, allowedHosts(guard))
    // The gateway and the event streams are answered first, without Effect's server (direct-stream.ts).
    const direct = directStreams(guard, hub)
    const viaApi = node.listeners("request") as Array<(request: http.IncomingMessage, response: http.ServerResponse) => void>
    node.removeAllListeners("request")
    const me = String(process.pid)
    node.on("request", (request: http.IncomingMessage, response: http.ServerResponse) => {
      if (gateway.handle(request, response) || direct(request, response)) return
      // Who answers: the thin launcher trusts an answer only from the daemon its address file names,
      // of its own version (the shapes it draws from are that version's).
      response.setHeader("x-orch-daemon", me)
      response.setHeader("x-orch-version", daemon.version)
      for (const listener of viaApi) listener(request, response)
    })
    // One heartbeat for every event stream, on the feed they already wait on.
    yield* beat(daemon.feed, HEARTBEAT_MS)
    yield* daemon.record(null, { _tag: "ApiListening", host: listen.host, port })
    yield* Effect.acquireRelease(
      Effect.sync(() => {
        try {
          writeDaemonAddress(daemon.home, `http://${hostPort(reachable(listen.host), port)}`)
        } catch {
          // Without it the CLI folds the journal itself: slower, never wrong.
        }
      }),
      () => Effect.sync(() => removeDaemonAddress(daemon.home))
    )
    yield* Effect.logInfo(`API on http://${hostPort(listen.host, port)}/api/v1 (docs: /api/docs)`)
  })
)
