import { Either } from "effect"
import { parseDuration } from "../domain/duration.js"

/** The range a JavaScript Date can show: ±100 million days around 1970. */
const MAX_TIME_MS = 8.64e15

export const isShowableTime = (ms: number) => Number.isFinite(ms) && Math.abs(ms) <= MAX_TIME_MS

/**
 * `--since 10m` (that long ago) or `--since 2026-11-24T10:00` (a time): ms since epoch. A time
 * must start with its date, since Date.parse also takes "-5" (the year -5) or "Monday 12".
 */
export const parseTimeArg = (text: string, now: number): Either.Either<number, string> => {
  const ago = parseDuration(text)
  const at = Either.isRight(ago) ? now - ago.right : /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN
  if (Number.isNaN(at)) return Either.left(`"${text}" is neither a duration (like 10m, 2h) nor a time (like 2026-11-24T10:00)`)
  return isShowableTime(at) ? Either.right(at) : Either.left(`"${text}" reaches further back than any clock`)
}

/** `--until 1234` (a seq) or a time as for `--since`. */
export const parseUntilArg = (text: string, now: number): Either.Either<{ readonly seq: number } | { readonly at: number }, string> =>
  /^\d+$/.test(text) && Number(text) < 1e12
    ? Either.right({ seq: Number(text) })
    : Either.map(parseTimeArg(text, now), (at) => ({ at }))

const pad = (n: number, width = 2) => String(n).padStart(width, "0")

/** Local time to the millisecond, as an operator reads logs; a time from a broken row says so. */
export const formatTime = (ms: number) => {
  if (!isShowableTime(ms)) return `(invalid time ${ms})`
  const d = new Date(ms)
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
}

/** An ISO time for JSON, or null where the row's time cannot be one (toISOString would throw). */
export const isoTime = (ms: number) => (isShowableTime(ms) ? new Date(ms).toISOString() : null)

/** "3s", "4m12s", "2h5m", "3d4h": how long, the two largest units. */
export const formatAge = (ms: number) => {
  if (!isShowableTime(ms)) return `(invalid age ${ms} ms)`
  const s = Math.floor(ms / 1000)
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m${s % 60 > 0 ? `${s % 60}s` : ""}`
  const h = Math.floor(m / 60)
  if (h < 24) return `${h}h${m % 60 > 0 ? `${m % 60}m` : ""}`
  return `${Math.floor(h / 24)}d${h % 24 > 0 ? `${h % 24}h` : ""}`
}
