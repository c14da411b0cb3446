import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Stream, TestClock } from "effect"
import type { EventOf } from "../../src/domain/events.js"
import { Journal, JournalLive } from "../../src/journal/Journal.js"
import { PROBE_BATCH_MS, SERVED_BATCH_MS, makeProbeBatch } from "../../src/runtime/probe-batch.js"
import { journalIn, on, probe, spawned } from "../support/journal.js"

const ok = probe("ok") as EventOf<"HealthProbed">
const served: EventOf<"RequestServed"> = {
  _tag: "RequestServed", endpoint: "/v1/chat/completions", status: 200, streamed: false, duration_ms: 5, queued_ms: 0, ttft_ms: null, prompt_tokens: 3, completion_tokens: 4, tokens_per_second: 50
}

/** A real journal in a temp folder, with a counter of the commits made through it. */
const counted = Effect.gen(function* () {
  const journal = yield* Journal
  const commits: Array<number> = []
  const commit = (events: Parameters<typeof journal.append>[0]) => Effect.tap(journal.append(events), () => Effect.sync(() => void commits.push(events.length)))
  const rows = Effect.map(Stream.runCollect(journal.read()), Chunk.toReadonlyArray)
  return { commit, commits, rows }
})

describe("the probe batch", () => {
  it.effect("commits the probes of many servers together within PROBE_BATCH_MS, each with the time it was made", () =>
    Effect.gen(function* () {
      const { commit, commits, rows } = yield* counted
      const batch = yield* makeProbeBatch(commit)
      yield* TestClock.adjust(1_000)
      yield* batch.add("a", ok)
      yield* TestClock.adjust(30)
      yield* batch.add("b", ok)
      yield* batch.add("c", ok)
      expect(commits).toEqual([])
      yield* TestClock.adjust(PROBE_BATCH_MS)
      expect(commits).toEqual([3])
      expect((yield* rows).map((row) => [row.instance, row.at])).toEqual([["a", 1_000], ["b", 1_030], ["c", 1_030]])
    }).pipe(Effect.scoped, Effect.provide(JournalLive(journalIn()))))

  it.effect("commits at once a probe whose result differs from its server's last, with what waits before it", () =>
    Effect.gen(function* () {
      const { commit, commits, rows } = yield* counted
      const batch = yield* makeProbeBatch(commit)
      yield* batch.add("a", probe("error") as EventOf<"HealthProbed">)
      yield* batch.add("b", ok)
      yield* TestClock.adjust(PROBE_BATCH_MS)
      expect(commits).toEqual([2])
      yield* batch.add("b", ok)
      yield* batch.add("a", ok)
      expect(commits).toEqual([2, 2])
      expect((yield* rows).map((row) => [row.instance, row.event._tag === "HealthProbed" && row.event.result])).toEqual([["a", "error"], ["b", "ok"], ["b", "ok"], ["a", "ok"]])
      yield* TestClock.adjust(PROBE_BATCH_MS)
      expect(commits).toEqual([2, 2])
    }).pipe(Effect.scoped, Effect.provide(JournalLive(journalIn()))))

  it.effect("commits waiting probes before any other event, so the journal keeps their order", () =>
    Effect.gen(function* () {
      const { commit, commits, rows } = yield* counted
      const batch = yield* makeProbeBatch(commit)
      yield* batch.add("a", ok)
      yield* batch.append([on("a", spawned(7))])
      expect(commits).toEqual([1, 1])
      expect((yield* rows).map((row) => row.event._tag)).toEqual(["HealthProbed", "ProcessSpawned"])
      yield* TestClock.adjust(PROBE_BATCH_MS)
      expect(commits).toEqual([1, 1])
    }).pipe(Effect.scoped, Effect.provide(JournalLive(journalIn()))))

  it.effect("commits request records within SERVED_BATCH_MS, or with the next probes, whichever is first", () =>
    Effect.gen(function* () {
      const { commit, commits, rows } = yield* counted
      const batch = yield* makeProbeBatch(commit)
      yield* batch.addServed("a", served)
      yield* TestClock.adjust(PROBE_BATCH_MS)
      yield* batch.addServed("a", served)
      expect(commits).toEqual([])
      yield* TestClock.adjust(SERVED_BATCH_MS - PROBE_BATCH_MS)
      expect(commits).toEqual([2])
      // A probe does not wait for the requests' timer; they go with it.
      yield* batch.addServed("a", served)
      yield* batch.add("b", ok)
      yield* TestClock.adjust(PROBE_BATCH_MS)
      expect(commits).toEqual([2, 2])
      yield* TestClock.adjust(SERVED_BATCH_MS)
      expect(commits).toEqual([2, 2])
      expect((yield* rows).map((row) => row.event._tag)).toEqual(["RequestServed", "RequestServed", "RequestServed", "HealthProbed"])
    }).pipe(Effect.scoped, Effect.provide(JournalLive(journalIn()))))

  it.effect("commits what waits when its scope closes", () =>
    Effect.gen(function* () {
      const file = journalIn()
      yield* Effect.gen(function* () {
        const batch = yield* makeProbeBatch((yield* Journal).append)
        yield* batch.add("a", ok)
      }).pipe(Effect.scoped, Effect.provide(JournalLive(file)))
      const after = yield* Effect.flatMap(counted, (journal) => journal.rows).pipe(Effect.provide(JournalLive(file)))
      expect(after.map((row) => row.event._tag)).toEqual(["HealthProbed"])
    }))
})
