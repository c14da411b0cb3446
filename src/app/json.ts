import type { Envelope } from "../domain/events.js"
import { type FileFinding, shownFinding } from "../domain/findings.js"
import { redactEvent } from "../domain/redact.js"
import { isShowableTime } from "../domain/time.js"
import type { EventJson, FindingJson } from "./shapes.js"

/**
 * The values of the `--json` shapes (shapes.ts) that the CLI prints and the API sends alike.
 */

/** An ISO time for JSON, or null where the row's time cannot be one (toISOString would throw). */
export const isoTime = (ms: number) => (isShowableTime(ms) ? new Date(ms).toISOString() : null)

/**
 * An event as `--json` and the API show it, with stable field names: seq, at (ms), time (ISO, null
 * if `at` is no time), instance, type, data; secrets hidden.
 */
export const eventObject = (envelope: Envelope): EventJson => {
  const { _tag, ...data } = redactEvent(envelope.event)
  return { seq: envelope.seq, at: envelope.at, time: isoTime(envelope.at), instance: envelope.instance, type: _tag, data } satisfies AnyLine as EventJson
}

/** One JSON line of `orch events --json`. */
export const eventJson = (envelope: Envelope) => JSON.stringify(eventObject(envelope))

/**
 * An EventJson whose `type` and `data` may be any event's: once destructured, TS no longer ties
 * the tag to the rest of its event, so this checks the fields and leaves the pairs to the schema.
 */
type AnyLine = { readonly [K in keyof EventJson]: EventJson[K] }

export const findingsJson = (findings: ReadonlyArray<FileFinding>): ReadonlyArray<FindingJson> =>
  findings.map(shownFinding).map(({ file, instance, field, problem, hint }) => ({ file, instance: instance ?? null, field, problem, hint }))
