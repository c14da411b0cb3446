import { Either } from "effect"
import { EVENT_VERSIONS, type EventType, isEventType } from "./events.js"

/**
 * Old rows are read in the current shape, never rewritten in place: each upcaster lifts a
 * type's `data` one version up, and reading applies them in a chain up to EVENT_VERSIONS.
 */
type Data = Record<string, unknown>
type Upcaster = (data: Data) => Data

const UPCASTERS: { readonly [T in EventType]?: { readonly [fromVersion: number]: Upcaster } } = {
  // v1 StartRequested had no `by`: only the CLI could ask for a start then.
  StartRequested: { 1: (data) => ({ ...data, by: "cli" }) },
  // v1 SpawnFailed was never retried: read as the configuration error it was treated as.
  SpawnFailed: { 1: (data) => ({ ...data, config_error: true }) },
  // v1 JournalCompacted is from before compaction deleted RequestServed: all it deleted were probes.
  JournalCompacted: { 1: (data) => ({ ...data, deleted_requests: 0 }) }
}

export type RowProblem =
  | { readonly _tag: "UnknownType"; readonly type: string }
  | { readonly _tag: "NewerVersion"; readonly type: string; readonly v: number; readonly known: number }
  | { readonly _tag: "NoUpcaster"; readonly type: string; readonly v: number }

/** The row's data in the current version of its type, or why it cannot be read. */
export const upcast = (type: string, v: number, data: Data): Either.Either<{ readonly type: EventType; readonly data: Data }, RowProblem> => {
  if (!isEventType(type)) return Either.left({ _tag: "UnknownType", type })
  const known = EVENT_VERSIONS[type]
  if (v > known) return Either.left({ _tag: "NewerVersion", type, v, known })
  let current = data
  for (let version = v; version < known; version++) {
    const step = UPCASTERS[type]?.[version]
    if (step === undefined) return Either.left({ _tag: "NoUpcaster", type, v: version })
    current = step(current)
  }
  return Either.right({ type, data: current })
}
