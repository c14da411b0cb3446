import { Effect, Option, Stream } from "effect"
import { type State, fold, initialState } from "../domain/instances.js"
import { Compacted } from "./errors.js"
import { Journal, type ReadFilter } from "./Journal.js"

/** A status query leaves a fresh snapshot behind when it had to fold this many events. */
export const SNAPSHOT_EVERY = 1_000

/** trusted: rows are decoded as `readForFold` does (shape trusted); checked: every row fully, as `read` does. */
type Decoding = "trusted" | "checked"

const foldFrom = (base: State, filter: ReadFilter, decoding: Decoding = "trusted") =>
  Effect.flatMap(Journal, (journal) =>
    Stream.runFold(Stream.chunks((decoding === "trusted" ? journal.readForFold : journal.read)({ ...filter, after: base.seq })), { state: base, folded: 0 }, (acc, chunk) => ({
      state: fold(chunk, acc.state),
      folded: acc.folded + chunk.length
    }))
  )

/**
 * The state now, for `ps` and friends: the newest snapshot plus the events after it, so it
 * costs the same on a 10-event and a 10-million-event journal.
 */
const stateNow = (decoding: Decoding) =>
  Effect.gen(function* () {
    const journal = yield* Journal
    const base = Option.getOrElse(yield* journal.snapshot(), () => initialState)
    const { state, folded } = yield* foldFrom(base, {}, decoding)
    // Best effort: a reader that cannot write (a read-only disk) still answers.
    if (folded >= SNAPSHOT_EVERY) yield* Effect.ignore(journal.writeSnapshot(state))
    return state
  })

export const currentState = stateNow("trusted")

/**
 * The same, every event since the snapshot decoded in full: for the daemon, which acts on what it
 * folds (a damaged row must stop it with a message naming the row, not feed it a pid of "x").
 */
export const checkedState = stateNow("checked")

export type Until = { readonly seq: number } | { readonly at: number }

/** The seqs where compactions left their base snapshots: replays can start there, not before. */
/** The seqs the journal was compacted at: a replay starts at the newest one before where it stops. */
export const compactionBases = Effect.flatMap(Journal, (journal) =>
  Stream.runCollect(journal.read({ types: ["JournalCompacted"] })).pipe(
    Effect.map((chunk) => [...chunk].flatMap((envelope) => (envelope.event._tag === "JournalCompacted" ? [envelope.event.base_seq] : [])))
  )
)

/** The full fold from event 1 (or from the newest compaction base), up to `until` if given. */
export const replay = (until?: Until) =>
  Effect.gen(function* () {
    const journal = yield* Journal
    const filter: ReadFilter =
      until === undefined ? {} : "seq" in until ? { until: until.seq } : { untilAt: until.at }
    const limit = until === undefined ? Number.MAX_SAFE_INTEGER : "seq" in until ? until.seq : Number.MAX_SAFE_INTEGER
    const bases = yield* compactionBases
    const usable = bases.filter((seq) => seq <= limit)
    let base = initialState
    if (usable.length > 0) {
      const at = Math.max(...usable)
      const stored = yield* journal.snapshot(at)
      if (Option.isNone(stored) || stored.value.seq !== at) return yield* new Compacted({ until: limit, base: at })
      base = stored.value
    } else if (bases.length > 0) {
      return yield* new Compacted({ until: limit, base: Math.min(...bases) })
    }
    return (yield* foldFrom(base, filter)).state
  })

export interface Difference {
  readonly path: string
  readonly full: unknown
  readonly fast: unknown
}

const differences = (full: unknown, fast: unknown, path: string, found: Array<Difference>) => {
  if (JSON.stringify(full) === JSON.stringify(fast)) return
  if (typeof full === "object" && full !== null && typeof fast === "object" && fast !== null && Array.isArray(full) === Array.isArray(fast)) {
    const keys = new Set([...Object.keys(full), ...Object.keys(fast)])
    for (const key of keys) {
      differences((full as Record<string, unknown>)[key], (fast as Record<string, unknown>)[key], path === "" ? key : `${path}.${key}`, found)
    }
    return
  }
  found.push({ path, full, fast })
}

/** Proves that the newest snapshot plus its tail equals the full fold; the differences if not. */
export const verify = Effect.gen(function* () {
  const journal = yield* Journal
  const full = yield* replay()
  const base = Option.getOrElse(yield* journal.snapshot(full.seq), () => initialState)
  const fast = (yield* foldFrom(base, { until: full.seq })).state
  const found: Array<Difference> = []
  differences(full, fast, "", found)
  return { state: full, snapshotSeq: base.seq, differences: found }
})
