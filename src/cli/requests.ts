import { createHash } from "node:crypto"
import { Clock, Console, Effect, Either, Option, Stream } from "effect"
import { checkBinary, checkLogsDir, checkModel } from "../config/checks.js"
import { leavesHome } from "../config/discover.js"
import { configFile, journalDir } from "../config/home.js"
import { readJsonFile } from "../config/read.js"
import { loadConfig } from "../config/validate.js"
import type { Event, Requester } from "../domain/events.js"
import type { FileFinding } from "../domain/findings.js"
import { type InstanceState, type State, fold } from "../domain/instances.js"
import { Journal } from "../journal/Journal.js"
import { currentState } from "../journal/projection.js"
import { runningDaemon } from "../runtime/lock.js"
import { isAlive, runningServers } from "../runtime/proc.js"
import { daemonLog, ensureDaemon, whyNotStarted } from "./daemon-process.js"
import { BadOption, ExitCode } from "./errors.js"
import { summary } from "./event-line.js"
import { bad, ok, printFindings } from "./findings.js"
import { instanceNames } from "./names.js"
import { wholeNumber } from "./option-values.js"
import { paint } from "./output.js"

export interface Checked {
  readonly name: string
  readonly raw: Readonly<Record<string, unknown>>
  readonly hash: string
}

/** An instance's config, checked as `up` needs it (the port is the daemon's to check at spawn). */
export const checkForUp = (home: string, name: string) =>
  Effect.gen(function* () {
    const outside = yield* leavesHome(home, name)
    if (outside !== undefined) return Either.left([outside])
    const file = configFile(home, name)
    const loaded = yield* loadConfig(file, name)
    if (loaded.config === undefined) return Either.left(loaded.findings)
    const config = loaded.config
    const findings = (yield* Effect.all([checkModel(home, config), checkLogsDir(file), checkBinary(home, config)])).flat()
    if (findings.length > 0) return Either.left(findings.map((finding): FileFinding => ({ file, instance: name, ...finding })))
    const raw = Either.getOrThrow(yield* readJsonFile(file)) as Record<string, unknown>
    return Either.right<Checked>({ name, raw, hash: createHash("sha256").update(JSON.stringify(raw)).digest("hex") })
  })

/**
 * What `up`, `down` and `restart` were asked, checked before anything touches the disk: the
 * names given (undefined for --all, which each command resolves its own way) and the timeout.
 */
export const checkRequest = (options: { readonly names: ReadonlyArray<string>; readonly all: boolean; readonly timeout: Option.Option<number> }) =>
  Effect.gen(function* () {
    if (options.all && options.names.length > 0) return yield* new BadOption({ option: "--all", problem: "give names or --all, not both", hint: "drop the names, or drop --all" })
    if (!options.all && options.names.length === 0) return yield* new BadOption({ option: "NAME", problem: "no instance named", hint: "name one or more instances, or pass --all" })
    if (Option.isSome(options.timeout)) yield* wholeNumber("--timeout", options.timeout.value, { min: 1 }, "seconds to wait, for example --timeout 120")
    return options.all ? undefined : yield* instanceNames(options.names)
  })

/** Appends the requests, then makes sure a daemon is there to act on them (saying if it started one). */
export const request = (home: string, events: ReadonlyArray<{ readonly instance: string; readonly event: Event }>, quiet: boolean) =>
  Effect.gen(function* () {
    const journal = yield* Journal
    const seqs = yield* journal.append(events)
    const daemon = yield* ensureDaemon(home)
    if (daemon === undefined) {
      yield* bad(whyNotStarted(home))
      return yield* new ExitCode({ code: 1 })
    }
    if (daemon.started && !quiet) yield* Console.log(paint.dim(`started the daemon (pid ${daemon.pid}); it runs on in the background`))
    return Math.min(...seqs) - 1
  })

export const by: Requester = "cli"

/** What asking for a start records: the config if it is new or changed, then the request. */
export const startEvents = (state: State, checked: Checked, requester: Requester): ReadonlyArray<{ readonly instance: string; readonly event: Event }> => {
  const instance = state.instances[checked.name]
  const changed = instance?.config_hash !== checked.hash
  const running = instance?.pid !== null && instance?.pid !== undefined
  return [
    ...(changed ? [{ instance: checked.name, event: { _tag: "ConfigApplied", config: checked.raw, hash: checked.hash } as const }] : []),
    // A running server with a changed config is restarted to take it, as docker compose recreates.
    { instance: checked.name, event: changed && running ? { _tag: "RestartRequested", by: requester } as const : { _tag: "StartRequested", by: requester } as const }
  ]
}

/** What `up` waits beyond the longest start period before it gives up. */
const WAIT_MARGIN_MS = 30_000

export type Outcome = { readonly done: true; readonly ok: boolean; readonly text: string } | { readonly done: false }

interface Recorded {
  readonly instance: string
  readonly pid: number
  readonly startTime: string
}

/**
 * What the processes themselves say against the journal's word that an instance is done, if
 * anything: a journal may say stopped or running where it is not so (its WAL deleted under the
 * daemon, which then recorded where no one reads, and the new one knows nothing of its servers).
 * Running: its pid still runs. Stopped: none of the pids the journal gave it (`recorded`) nor
 * any server marked as this instance's runs.
 */
const contradiction = (home: string, instance: InstanceState, recorded: ReadonlyArray<Recorded>): string | undefined => {
  if (instance.pid !== null) {
    return instance.start_time === null || isAlive(instance.pid, instance.start_time) ? undefined : `its pid ${instance.pid} does not run`
  }
  const running = runningServers(home, recorded).get(instance.name) ?? []
  return running.length === 0 ? undefined : running.length === 1 ? `pid ${running[0]} still runs` : `pids ${running.join(", ")} still run`
}

/**
 * Follows the journal from `after`, printing what happens to each instance, until `outcome`
 * says every one is done or the timeout runs out. Exit 1 if any failed or timed out.
 */
export const watch = (
  home: string,
  names: ReadonlyArray<string>,
  after: number,
  timeout: Option.Option<number>,
  outcome: (instance: InstanceState, now: number) => Outcome,
  quiet: boolean
) =>
  Effect.gen(function* () {
    const journal = yield* Journal
    let state = yield* currentState
    // Every server the journal gives each instance while we wait: a stop is done when all are gone.
    const recorded = new Map(names.map((name) => [name, new Map<number, Recorded>()]))
    const remember = () => {
      for (const [name, pids] of recorded) {
        const instance = state.instances[name]
        if (instance !== undefined && instance.pid !== null && instance.start_time !== null) pids.set(instance.pid, { instance: name, pid: instance.pid, startTime: instance.start_time })
      }
    }
    remember()
    // A model may take minutes to load: by default wait as long as its start period allows.
    const timeoutMs = Option.match(timeout, {
      onSome: (seconds) => seconds * 1000,
      onNone: () => Math.max(0, ...names.map((name) => state.instances[name]?.start_period_ms ?? 0)) + WAIT_MARGIN_MS
    })
    const deadline = (yield* Clock.currentTimeMillis) + timeoutMs
    const pending = new Set(names)
    /** Done by the journal's word, which the processes contradict: not reported done while so. */
    const disputed = new Map<string, string>()
    let failed = false
    let cursor = after
    // Probes come every interval: show one only when its result changes.
    const lastProbe = new Map<string, string>()
    while (pending.size > 0) {
      const fresh = yield* Stream.runCollect(journal.read({ after: cursor }))
      for (const envelope of fresh) {
        cursor = envelope.seq
        const name = envelope.instance
        if (quiet || name === null || !pending.has(name)) continue
        if (envelope.event._tag === "HealthProbed") {
          if (lastProbe.get(name) === envelope.event.result) continue
          lastProbe.set(name, envelope.event.result)
        }
        yield* Console.log(paint.dim(`  ${name}: ${envelope.event._tag} ${summary(envelope.event)}`))
      }
      if (fresh.length > 0) {
        state = fold(fresh, state)
        remember()
      }
      const now = yield* Clock.currentTimeMillis
      for (const name of [...pending]) {
        const instance = state.instances[name]
        if (instance === undefined) continue
        const result = outcome(instance, now)
        if (!result.done) continue
        const against = result.ok ? contradiction(home, instance, [...recorded.get(name)!.values()]) : undefined
        if (against !== undefined) {
          disputed.set(name, `the journal says ${result.text}, but ${against}`)
          continue
        }
        disputed.delete(name)
        pending.delete(name)
        failed ||= !result.ok
        yield* (result.ok ? ok : bad)(`${name}: ${result.text}`)
      }
      if (pending.size === 0) break
      const daemonGone = now < deadline && runningDaemon(journalDir(home)) === undefined
      if (now >= deadline || daemonGone) {
        for (const name of pending) {
          const why = daemonGone ? `the daemon is gone; see ${daemonLog(home)}` : `still not done after ${Math.round(timeoutMs / 1000)} s (see \`orch events --instance ${name}\`)`
          yield* bad(`${name}: ${disputed.get(name) ?? why}`)
        }
        if (disputed.size > 0) {
          yield* Console.log(paint.dim(`hint: the journal and the processes disagree; \`orch daemon status\` shows whether a daemon acts on this journal (its log: ${daemonLog(home)}): once one does, it adopts or stops what runs as the journal asks; then ask again`))
        }
        failed = true
        break
      }
      yield* Effect.sleep(50)
    }
    if (failed) return yield* new ExitCode({ code: 1 })
  })

export const findingsFor = (findings: ReadonlyArray<FileFinding>) =>
  Effect.zipRight(bad(`not started: the config has ${findings.length} problem${findings.length === 1 ? "" : "s"}`), printFindings(findings, true))
