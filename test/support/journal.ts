import * as path from "node:path"
import Database from "better-sqlite3"
import { Effect } from "effect"
import type { Event, NewEvent } from "../../src/domain/events.js"
import { type Journal, JournalLive } from "../../src/journal/Journal.js"
import { tempHome } from "./home.js"

export const journalIn = (home = tempHome()) => path.join(home, "journal", "orch.db")

/** Runs an effect against the journal at `file`, opened for it and closed after. */
export const withJournal = <A, E>(file: string, effect: Effect.Effect<A, E, Journal>) =>
  Effect.runPromise(Effect.scoped(Effect.provide(effect, JournalLive(file))))

export const probe = (result: "ok" | "error" = "ok", latency_ms = 2): Event => ({
  _tag: "HealthProbed",
  result,
  status: result === "ok" ? 200 : 500,
  latency_ms,
  path: "/health"
})

export const spawned = (pid: number): Event => ({
  _tag: "ProcessSpawned",
  pid,
  start_time: String(pid * 10),
  argv: ["llama-server", "--port", "8080"],
  stdout: "/tmp/o.log",
  stderr: "/tmp/e.log"
})

export const served = (duration_ms = 5): Event => ({
  _tag: "RequestServed",
  endpoint: "/v1/chat/completions",
  status: 200,
  streamed: false,
  duration_ms,
  queued_ms: 0,
  ttft_ms: null,
  prompt_tokens: 3,
  completion_tokens: 4,
  tokens_per_second: 50
})

export const on = (instance: string | null, event: Event): NewEvent => ({ instance, event })

/** A plain SQLite connection to the journal file, to look at or tamper with rows directly. */
export const rawDb = (file: string) => new Database(file)
