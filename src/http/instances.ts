import * as fs from "node:fs"
import * as path from "node:path"
import { HttpApiBuilder, HttpServerResponse } from "@effect/platform"
import { Chunk, Clock, Effect, Either, Option, Stream } from "effect"
import { followFrom, readRange, startOfLastLines } from "../app/log-file.js"
import { psRows } from "../app/ps.js"
import { describeOf } from "../app/describe.js"
import { findingsJson } from "../app/json.js"
import { type Asked, askedEvents, checkAllForUp, checkForUp, startEvents } from "../app/requests.js"
import { type Progress, waitFor } from "../app/wait.js"
import { discoverInstances, leavesHome, readInstanceConfig } from "../config/discover.js"
import { configFile, instanceDir, instancesDir, logFiles } from "../config/home.js"
import { validateFile } from "../config/validate.js"
import { decide } from "../domain/decide.js"
import type { InstanceState } from "../domain/instances.js"
import { healthySince, type Outcome, stopped } from "../domain/outcome.js"
import { redactConfig, restoreSecrets } from "../domain/redact.js"
import { Journal } from "../journal/Journal.js"
import { DaemonState } from "../runtime/daemon-state.js"
import { sizeOf } from "../runtime/log-rotation.js"
import { platform } from "../runtime/platform/current.js"
import { Api, type RequestsBody } from "./api.js"
import { BadRequest, Invalid, NotDone, NotFound } from "./errors.js"
import { sse } from "./sse.js"

const LOG_POLL_MS = 250
const STDERR_TAIL = 20
/**
 * How long one list is sent again while nothing it shows has changed but the ages: under 200
 * requests a second, building and encoding each anew made most of the daemon's garbage, and its
 * collections were the slowest 1 % of answers (bench/RESULTS.md). Ages are then at most this old.
 */
const LIST_REUSE_MS = 250

/** How long a look at the instances folder is kept when nothing said it changed (a watch can miss). */
const DISCOVERY_MS = 10_000

const isTrue = (flag: string | undefined) => flag === "true" || flag === "1"

/** The last `count` lines of a log, whole lines only. */
const lastLines = (file: string, count: number) => {
  const size = sizeOf(file) ?? 0
  const text = readRange(file, startOfLastLines(file, size, count), size).toString("utf8")
  const lines = text.split("\n")
  if (lines.at(-1) === "") lines.pop()
  return { size, lines }
}

export const InstancesLive = HttpApiBuilder.group(Api, "instances", (handlers) =>
  Effect.gen(function* () {
    const daemon = yield* DaemonState
    const { home, folded } = daemon

    const noSuch = (name: string) => new NotFound({ message: `no instance "${name}" in ${home}`, hint: "GET /api/v1/instances lists them" })

    /** The config on disk, for an instance the journal has none for (never started). */
    const onDisk = (name: string) => Effect.map(readInstanceConfig(home, name), Either.getOrUndefined)

    const known = (name: string) =>
      Effect.gen(function* () {
        const instance = folded.state.instances[name]
        const disk = instance?.config == null ? yield* onDisk(name) : undefined
        if (instance === undefined && disk === undefined) return yield* noSuch(name)
        return { instance, disk }
      })

    /** Waits as `orch up`/`down` do; what it came to, as the answer. */
    const waitDone = (name: string, seq: number, after: number, timeout: Option.Option<number>, outcome: (instance: InstanceState, now: number) => Outcome) =>
      Effect.gen(function* () {
        let last: Exclude<Progress, { readonly _tag: "Event" }> | undefined
        const waited = yield* Effect.orDie(waitFor(home, [name], after, timeout, outcome, (progress) => Effect.sync(() => void (progress._tag === "Event" || (last = progress)))))
        // Said as a response, with its status: encoded through the endpoint's successes, a Done
        // would pass for a Requested (its fields without text) and go out as a 202.
        if (waited.ok && last?._tag === "Done") return HttpServerResponse.unsafeJson({ seq, instance: name, text: last.text }, { status: 200 })
        const why = last === undefined ? "not done" : last._tag === "Done" ? last.text : last.disputed ?? (last.why === "timeout" ? `not done after ${Math.round(last.timeoutMs / 1000)} s` : "the daemon is gone")
        return yield* new NotDone({
          message: `${name}: ${why}`,
          hint: `GET /api/v1/events?instance=${name} shows what happened`,
          seq,
          last_probe: folded.state.instances[name]?.probes.at(-1) ?? null,
          stderr_tail: lastLines(logFiles(home, name).stderr, STDERR_TAIL).lines
        })
      }).pipe(Effect.provideService(Journal, daemon.journal))

    type Ask = "Up" | "Down" | "Restart"
    const request = (ask: Ask) => ({ path, urlParams }: { readonly path: { readonly name: string }; readonly urlParams: { readonly wait?: string | undefined; readonly timeout?: number | undefined } }) =>
      Effect.gen(function* () {
        const name = path.name
        const now = yield* Clock.currentTimeMillis
        let decided
        if (ask === "Up") {
          if (folded.state.instances[name] === undefined && (yield* onDisk(name)) === undefined) return yield* noSuch(name)
          const checked = yield* checkForUp(home, name)
          if (Either.isLeft(checked)) {
            return yield* new Invalid({ message: `${name} not started: its config has ${checked.left.length} problem${checked.left.length === 1 ? "" : "s"}`, hint: "fix them (PUT its config), then ask again", findings: findingsJson(checked.left) })
          }
          decided = startEvents(folded.state, checked.right, "api", now)
        } else {
          if (folded.state.instances[name] === undefined) return yield* noSuch(name)
          decided = decide(folded.state, { _tag: ask, instance: name, by: "api" }, now)
        }
        const seq = yield* Effect.orDie(daemon.recordDecided(decided))
        if (!isTrue(urlParams.wait)) return HttpServerResponse.unsafeJson({ seq, instance: name }, { status: 202 })
        const outcome = ask === "Down" ? stopped : healthySince(now, ask === "Restart")
        return yield* waitDone(name, seq, seq - decided.length, Option.fromNullable(urlParams.timeout), outcome)
      })

    /**
     * A whole `orch up|down|restart` (POST /requests): its names resolved as the command resolves
     * them, for up every config checked before anything is recorded, then one append of what the
     * CLI would append, through the daemon's own writer so that it acts on it at once.
     */
    const requestAll = ({ payload }: { readonly payload: RequestsBody }) =>
      Effect.gen(function* () {
        const given = payload.names
        if (payload.all === true && given !== undefined) {
          return yield* new BadRequest({ message: "give names or all, not both", hint: 'send { "action": ..., "names": ["a", "b"] } or { "action": ..., "all": true }' })
        }
        if (payload.all !== true && (given === undefined || given.length === 0)) {
          return yield* new BadRequest({ message: given === undefined ? "no instance named: give names or all: true" : "names is empty: name one or more instances, or give all: true", hint: 'send { "action": ..., "names": ["a", "b"] } or { "action": ..., "all": true }' })
        }
        const by = payload.by ?? "api"
        const ask = payload.action === "up" ? "Up" : payload.action === "down" ? "Down" : "Restart"
        const names = given ?? (ask === "Up" ? (yield* discoverInstances(home)).names : Object.keys(folded.state.instances).sort())
        if (names.length === 0) return { after: folded.state.seq, names: [] }
        let asked: Asked
        if (ask === "Up") {
          const checked = yield* checkAllForUp(home, names)
          if (Either.isLeft(checked)) {
            const count = checked.left.length
            return yield* new Invalid({ message: `not started: the config${names.length === 1 ? " has" : "s have"} ${count} problem${count === 1 ? "" : "s"}; nothing was recorded`, hint: "fix them (PUT a config), then ask again", findings: findingsJson(checked.left) })
          }
          asked = { _tag: "Up", checked: checked.right }
        } else {
          asked = { _tag: ask, names }
        }
        const decided = askedEvents(folded.state, asked, by, yield* Clock.currentTimeMillis)
        const seq = yield* Effect.orDie(daemon.recordDecided(decided))
        return { after: seq - decided.length, names }
      })

    /** The address its server holds now, if it runs. */
    const ownAddress = (name: string) => {
      const instance = folded.state.instances[name]
      const alive = instance?.pid != null && instance.start_time !== null && platform.isAlive(instance.pid, instance.start_time)
      return alive ? instance.decoded_config?.server : undefined
    }

    /**
     * The instances configured on disk, looked for again when the instances folder changes (a
     * folder made or removed), after a config is PUT, or every DISCOVERY_MS: a look stats every
     * instance's folder and file in turn, and even once a second that was the slowest 1 % of lists
     * under load (bench/RESULTS.md).
     */
    let discovered: { readonly at: number; readonly names: ReadonlyArray<string> } | undefined
    yield* Effect.acquireRelease(
      Effect.sync(() => {
        try {
          return fs.watch(instancesDir(home), { persistent: false }, () => {
            discovered = undefined
          })
        } catch {
          // No instances folder yet: the first one made is seen by the look every DISCOVERY_MS.
          return undefined
        }
      }),
      (watcher) => Effect.sync(() => watcher?.close())
    )
    const configured = (now: number) =>
      discovered !== undefined && now - discovered.at < DISCOVERY_MS
        ? Effect.succeed(discovered.names)
        : Effect.map(discoverInstances(home), ({ names }) => (discovered = { at: now, names }).names)

    const configDoc = (name: string, raw: Readonly<Record<string, unknown>>) => ({ name, file: configFile(home, name), config: redactConfig(raw) })

    let listed: { readonly state: unknown; readonly names: ReadonlyArray<string>; readonly at: number; readonly body: string } | undefined
    return handlers
      .handle("list", () =>
        Effect.gen(function* () {
          const now = yield* Clock.currentTimeMillis
          const state = folded.state
          const names = yield* configured(now)
          // The same fold and the same configs on disk: the same list, but for its ages.
          if (listed === undefined || listed.state !== state || listed.names !== names || now - listed.at >= LIST_REUSE_MS) {
            const disk = new Map<string, unknown>()
            for (const name of names) {
              if (state.instances[name]?.config == null) disk.set(name, yield* onDisk(name))
            }
            // Written as it is: the rows are PsRow values already, and encoding them again cost a tenth of a list's time.
            listed = { state, names, at: now, body: JSON.stringify(psRows(Object.values(state.instances), disk, now)) }
          }
          return HttpServerResponse.text(listed.body, { contentType: "application/json" })
        })
      )
      .handle("get", ({ path: { name } }) =>
        Effect.gen(function* () {
          const { instance, disk } = yield* known(name)
          const now = yield* Clock.currentTimeMillis
          return describeOf(home, name, instance, disk, now)
        })
      )
      .handle("start", request("Up"))
      .handle("stop", request("Down"))
      .handle("restart", request("Restart"))
      .handle("requests", requestAll)
      .handle("config", ({ path: { name } }) =>
        Effect.gen(function* () {
          const raw = yield* onDisk(name)
          if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
            return yield* new NotFound({ message: `${name} has no readable config at ${configFile(home, name)}`, hint: "PUT one to create it; `orch config validate` says what is wrong with one there" })
          }
          return configDoc(name, raw as Record<string, unknown>)
        })
      )
      .handle("putConfig", ({ path: { name }, payload }) =>
        Effect.gen(function* () {
          const file = configFile(home, name)
          const outside = yield* leavesHome(home, name)
          if (outside !== undefined) return yield* new Invalid({ message: `${name}: ${outside.problem}`, hint: outside.hint, findings: findingsJson([{ ...outside, file, instance: name }]) })
          const current = yield* onDisk(name)
          const config = restoreSecrets(payload, typeof current === "object" && current !== null ? (current as Record<string, unknown>) : undefined)
          const dir = instanceDir(home, name)
          const made = !fs.existsSync(dir)
          // Checked where it will live (relative paths start there), under a name no one reads,
          // then renamed over the config: a reader sees the old file or the new, never half of one.
          const temp = path.join(dir, `.config.json.${process.pid}.${Date.now()}.tmp`)
          const checked = yield* Effect.acquireUseRelease(
            Effect.sync(() => {
              fs.mkdirSync(dir, { recursive: true })
              const fd = fs.openSync(temp, "wx", 0o644)
              fs.writeSync(fd, `${JSON.stringify(config, null, 2)}\n`)
              fs.fsyncSync(fd)
              fs.closeSync(fd)
            }),
            () =>
              Effect.flatMap(validateFile(home, temp, name), (checked) =>
                Effect.sync(() => {
                  // The port its own running server holds is not taken "by another process" (as
                  // `orch doctor` says): a running instance's config can be edited.
                  const held = ownAddress(name)
                  const findings = checked.findings.filter((finding) => !(held !== undefined && finding.field === "server.port" && checked.config?.server.host === held.host && checked.config.server.port === held.port && finding.problem.endsWith("in use by another process")))
                  if (findings.length === 0) {
                    fs.renameSync(temp, file)
                    discovered = undefined
                  }
                  return { ...checked, findings }
                })
              ),
            () =>
              Effect.sync(() => {
                fs.rmSync(temp, { force: true })
                if (made && fs.readdirSync(dir).length === 0 && !fs.existsSync(file)) fs.rmdirSync(dir)
              })
          )
          if (checked.findings.length > 0) {
            const findings = checked.findings.map((finding) => ({ ...finding, file }))
            return yield* new Invalid({ message: `${file} not written: ${findings.length} problem${findings.length === 1 ? "" : "s"}`, hint: "fix them and send it again", findings: findingsJson(findings) })
          }
          return configDoc(name, config)
        })
      )
      .handle("logs", ({ path: { name }, urlParams }) =>
        Effect.gen(function* () {
          yield* known(name)
          const stream = urlParams.stream ?? "stderr"
          const file = logFiles(home, name)[stream]
          return { name, stream, file, lines: lastLines(file, urlParams.tail ?? 100).lines }
        })
      )
      .handle("followLogs", ({ path: { name }, urlParams }) =>
        Effect.gen(function* () {
          yield* known(name)
          const file = logFiles(home, name)[urlParams.stream ?? "stderr"]
          const { size, lines } = lastLines(file, urlParams.tail ?? 100)
          const follower = followFrom(file, size)
          let partial = ""
          const fresh = Stream.repeatEffectChunk(
            Effect.zipRight(
              Effect.sleep(LOG_POLL_MS),
              Effect.sync(() => {
                const text = partial + follower.next().toString("utf8")
                const whole = text.split("\n")
                partial = whole.pop()!
                return Chunk.unsafeFromArray(whole)
              })
            )
          )
          return sse(Stream.concat(Stream.fromIterable(lines), fresh).pipe(Stream.map((line) => ({ data: line }))))
        })
      )
  })
)
