import { Effect, Either } from "effect"
import { checkForUp, startEvents } from "../../app/requests.js"
import type { Decided } from "../../domain/decide.js"
import { decide } from "../../domain/decide.js"
import { allStopped, idle, inTheWay, readiness, serving, waitBound, waited } from "../../domain/gateway.js"
import type { InstanceState, State } from "../../domain/instances.js"
import type { Settings } from "../../domain/settings.js"
import type { Routed, RouteTable } from "./routes.js"

/**
 * Whether a request may go to its server now, and what to ask of the daemon first (DESIGN.md §9):
 * start a server on demand, wait for one starting or restarting, swap the members of an exclusive
 * group, stop the idle. Every ask is journaled (`by: "gateway"`) and the daemon acts on it as on
 * any other; this only waits for the folded state to show the outcome.
 */

export type Admitted =
  | { readonly ok: true; readonly queuedMs: number }
  | { readonly ok: false; readonly status: 429 | 503; readonly message: string }
  /** The client left while it waited. */
  | { readonly ok: false; readonly status: 0; readonly message: string }

export interface Daemon {
  readonly state: () => State
  /** Appends the decided events; resolves with the seq of the last. */
  readonly record: (decided: ReadonlyArray<Decided>) => Promise<number>
  readonly home: string
}

/** Slack on top of a wait's bound: the probe that shows the server healthy comes after it is. */
const SLACK_MS = 5_000
/** How long stopping the members in the way may take before the swap gives up (their stop_timeout is the daemon's). */
const STOP_WAIT_MS = 120_000

/** How long a server that refused a connection has to show in the state as gone. */
const MOVE_MS = 10_000

interface Queued {
  readonly name: string
  readonly since: number
  readonly settle: (admitted: Admitted) => void
}

/** An exclusive group: the member it serves, the requests waiting in order, and whether a swap runs. */
interface Line {
  active: string | null
  busy: boolean
  queue: Array<Queued>
}

export const makeAdmission = (daemon: Daemon, table: RouteTable, settings: Settings["gateway"], onColdStart: (instance: InstanceState, seconds: number) => void) => {
  const activity = new Map<string, { inFlight: number; lastAt: number }>()
  const lines = new Map<string, Line>()
  /** Asks recorded and not yet folded (the seq that will show them): until then the state is behind. */
  const asked = new Map<string, number>()
  const looks = new Set<() => void>()
  /** Starts asked for and not yet seen ready: when each was asked, for the cold-start histogram. */
  const coldSince = new Map<string, number>()
  let waiting = 0

  const instanceOf = (name: string) => daemon.state().instances[name]
  const pending = (name: string) => {
    const seq = asked.get(name)
    if (seq !== undefined && daemon.state().seq >= seq) asked.delete(name)
    return asked.has(name)
  }

  /** Something changed (a chunk folded, a request ended): every waiter looks again. */
  const changed = () => {
    for (const look of [...looks]) look()
  }

  /** Resolves with what `check` finds, or "timeout", or "gone" when the client leaves. */
  const until = <T>(check: () => T | undefined, ms: number, signal: AbortSignal): Promise<T | "timeout" | "gone"> =>
    new Promise((resolve) => {
      const first = check()
      if (first !== undefined) return resolve(first)
      const done = (value: T | "timeout" | "gone") => {
        clearTimeout(timer)
        looks.delete(look)
        signal.removeEventListener("abort", gone)
        resolve(value)
      }
      const look = () => {
        const value = check()
        if (value !== undefined) done(value)
      }
      const gone = () => done("gone")
      const timer = setTimeout(() => done("timeout"), ms)
      looks.add(look)
      signal.addEventListener("abort", gone, { once: true })
      if (signal.aborted) gone()
    })

  const begin = (name: string) => {
    const seen = activity.get(name)
    if (seen === undefined) activity.set(name, { inFlight: 1, lastAt: Date.now() })
    else seen.inFlight++
  }

  const record = async (name: string, decided: ReadonlyArray<Decided>) => {
    if (decided.length === 0) return
    // Pending from now: a request admitted while the ask is written would go to a server being stopped.
    asked.set(name, Number.POSITIVE_INFINITY)
    asked.set(name, await daemon.record(decided))
  }

  /** Asks for a start (its config checked as `orch up` checks it); the problem if it cannot be asked. */
  const askStart = async (name: string, reason: "on_demand" | "swap"): Promise<string | undefined> => {
    const checked = await Effect.runPromise(checkForUp(daemon.home, name))
    if (Either.isLeft(checked)) return `${name} cannot start: ${checked.left.map((finding) => `${finding.field === "" ? "" : `${finding.field}: `}${finding.problem}`).join("; ")} (\`orch config validate\` says how to fix it)`
    await record(name, startEvents(daemon.state(), checked.right, "gateway", Date.now(), reason))
    return undefined
  }

  /**
   * One ask for every request that finds the server down at once: checking the config takes a
   * moment, and until the ask is recorded each of them would see no start pending.
   */
  const asking = new Map<string, Promise<string | undefined>>()
  const askStartOnce = (name: string, reason: "on_demand" | "swap") => {
    let ask = asking.get(name)
    if (ask === undefined) {
      const asked = Date.now()
      ask = askStart(name, reason).then((problem) => {
        if (problem === undefined) coldSince.set(name, asked)
        return problem
      }).finally(() => asking.delete(name))
      asking.set(name, ask)
    }
    return ask
  }

  const ready = (name: string) => !pending(name) && serving(instanceOf(name))

  /**
   * Waits until the server is ready or never will be (or the client goes), bounded by its load
   * time. `queued`: the request is not counted as waiting already (a group's queue counts its own).
   */
  const waitReady = async (route: Routed, since: number, signal: AbortSignal, queued: boolean): Promise<Admitted | undefined> => {
    const name = route.name
    // A start just asked for may not be folded yet: the config on disk says how long it may load.
    const bound = waitBound(instanceOf(name), Date.now(), route.config.healthcheck.start_period) + SLACK_MS
    if (!queued) waiting++
    try {
      const result = await until(() => {
        if (pending(name)) return undefined
        const outcome = waited(instanceOf(name), since)
        return outcome.done ? outcome : undefined
      }, bound, signal)
      if (result === "gone") return { ok: false, status: 0, message: "the client left while it waited" }
      if (result === "timeout") return { ok: false, status: 503, message: `${name} was not ready after ${Math.round(bound / 1000)} s (\`orch describe ${name}\` says where it is)` }
      return result.ok ? undefined : { ok: false, status: 503, message: result.message }
    } finally {
      if (!queued) waiting--
    }
  }

  /** Brings `name` up (starting it if need be) and waits for it; undefined when it is ready. */
  const bringUp = async (route: Routed, since: number, signal: AbortSignal, reason: "on_demand" | "swap", queued: boolean): Promise<Admitted | undefined> => {
    const name = route.name
    // An ask of ours not yet folded (an idle stop, say) is seen first: a start then follows it.
    if ((await until(() => (pending(name) ? undefined : true), STOP_WAIT_MS, signal)) === "gone") return { ok: false, status: 0, message: "the client left while it waited" }
    const instance = instanceOf(name)
    const now = readiness(route, instance)
    if (ready(name)) return undefined
    if (now._tag === "Refuse" && route.gateway.group === undefined) return { ok: false, status: 503, message: now.message }
    if (asking.has(name) || (!pending(name) && (now._tag === "Start" || now._tag === "Refuse"))) {
      const problem = await askStartOnce(name, reason)
      if (problem !== undefined) return { ok: false, status: 503, message: problem }
    }
    const failed = await waitReady(route, since, signal, queued)
    const asked = coldSince.get(name)
    // Once per start, by whichever request sees it ready first.
    if (failed === undefined && asked !== undefined) {
      coldSince.delete(name)
      const became = instanceOf(name)
      if (became !== undefined) onColdStart(became, (Date.now() - asked) / 1000)
    }
    return failed
  }

  const admitted = (since: number): Admitted => ({ ok: true, queuedMs: Date.now() - since })
  /** Let in without waiting: no clock tick between the arrival and the look counts as queueing. */
  const atOnce: Admitted = { ok: true, queuedMs: 0 }

  const lineOf = (group: string) => {
    let line = lines.get(group)
    if (line === undefined) lines.set(group, (line = { active: null, busy: false, queue: [] }))
    return line
  }

  const never = new AbortController().signal

  /**
   * Serves a group's queue in order, a model at a time: the head's model is brought up (the
   * members in the way drained, within drain_timeout, and stopped first), then every request
   * waiting for it goes, then the next model.
   */
  const serveLine = async (group: string, line: Line) => {
    if (line.busy) return
    line.busy = true
    try {
      while (line.queue.length > 0) {
        const target = line.queue[0]!.name
        const route = table.current().find((candidate) => candidate.name === target)
        let failed: Admitted | undefined
        if (route === undefined) failed = { ok: false, status: 503, message: `${target} has no config any more` }
        else if (!(line.active === target && ready(target))) {
          line.active = null
          const others = inTheWay(group, target, table.current(), daemon.state().instances)
          if (others.length > 0) {
            await until(() => (others.every((name) => (activity.get(name)?.inFlight ?? 0) === 0) ? true : undefined), settings.drain_timeout, never)
            for (const name of others) {
              if (instanceOf(name)?.desired === "up") await record(name, decide(daemon.state(), { _tag: "Down", instance: name, by: "gateway", reason: "swap" }, Date.now()))
            }
            const stopped = await until(() => (others.every((name) => !pending(name)) && allStopped(others, daemon.state().instances) ? true : undefined), STOP_WAIT_MS, never)
            if (stopped === "timeout") failed = { ok: false, status: 503, message: `${others.join(", ")} did not stop in ${STOP_WAIT_MS / 1000} s to make room for ${target}` }
          }
          failed ??= await bringUp(route, line.queue[0]!.since, never, others.length > 0 ? "swap" : "on_demand", true)
        }
        const served = line.queue.filter((queued) => queued.name === target)
        line.queue = line.queue.filter((queued) => queued.name !== target)
        if (failed === undefined) {
          line.active = target
          for (const queued of served) {
            begin(target)
            queued.settle(admitted(queued.since))
          }
        } else {
          for (const queued of served) queued.settle(failed)
        }
      }
    } finally {
      line.busy = false
    }
  }

  const queueFull = (): Admitted => ({ ok: false, status: 429, message: `${waiting} requests are already waiting for a model (gateway.max_queue is ${settings.max_queue}); try again shortly` })

  return {
    /** Requests waiting for a start or a swap. */
    queued: () => waiting,
    changed,
    /**
     * Whether the request may go to `route`'s server: resolved when it may (counted in flight until
     * `release`), or with why not.
     */
    admit: async (route: Routed, signal: AbortSignal): Promise<Admitted> => {
      const since = Date.now()
      const name = route.name
      const group = route.gateway.group
      if (group !== undefined && settings.groups[group]?.exclusive === true) {
        const line = lineOf(group)
        if (line.queue.length === 0 && !line.busy && line.active === name && ready(name)) {
          begin(name)
          return atOnce
        }
        if (waiting >= settings.max_queue) return queueFull()
        waiting++
        return new Promise<Admitted>((resolve) => {
          const queued: Queued = {
            name,
            since,
            settle: (result) => {
              waiting--
              signal.removeEventListener("abort", gone)
              resolve(result)
            }
          }
          const gone = () => {
            line.queue = line.queue.filter((other) => other !== queued)
            queued.settle({ ok: false, status: 0, message: "the client left while it waited" })
          }
          line.queue.push(queued)
          signal.addEventListener("abort", gone, { once: true })
          void serveLine(group, line)
        })
      }
      if (ready(name)) {
        begin(name)
        return atOnce
      }
      if (waiting >= settings.max_queue) return queueFull()
      const failed = await bringUp(route, since, signal, "on_demand", false)
      if (failed !== undefined) return failed
      begin(name)
      return admitted(since)
    },
    /**
     * After a server did not take a request: whether the state has since shown it gone (another
     * pid, or not ready), which a crash shows within moments; false if it did not within MOVE_MS.
     */
    moved: async (name: string, pid: number | null, signal: AbortSignal): Promise<boolean> =>
      (await until(() => (instanceOf(name)?.pid !== pid || !ready(name) ? true : undefined), MOVE_MS, signal)) === true,
    release: (name: string) => {
      const seen = activity.get(name)
      if (seen !== undefined) {
        seen.inFlight--
        seen.lastAt = Date.now()
      }
      changed()
    },
    /** Asks for a stop of every server idle past its ttl; what it asked for. */
    stopIdle: async (): Promise<ReadonlyArray<string>> => {
      const busy = new Set([...lines.values()].filter((line) => line.busy).flatMap((line) => line.queue.map((queued) => queued.name)))
      const names = idle(table.current(), daemon.state().instances, activity, Date.now()).filter((name) => !pending(name) && !busy.has(name))
      for (const name of names) await record(name, decide(daemon.state(), { _tag: "Down", instance: name, by: "gateway", reason: "idle" }, Date.now()))
      return names
    }
  }
}

export type Admission = ReturnType<typeof makeAdmission>
