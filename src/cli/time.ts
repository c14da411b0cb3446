import { Either } from "effect"
import { parseDuration } from "../domain/duration.js"

/** `--since 10m` (that long ago) or `--since 2026-11-24T10:00` (a time): ms since epoch. */
export const parseTimeArg = (text: string, now: number): Either.Either<number, string> => {
  const ago = parseDuration(text)
  if (Either.isRight(ago)) return Either.right(now - ago.right)
  const at = Date.parse(text)
  return Number.isNaN(at)
    ? Either.left(`"${text}" is neither a duration (like 10m, 2h) nor a time (like 2026-11-24T10:00)`)
    : Either.right(at)
}

/** `--until 1234` (a seq) or a time as for `--since`. */
export const parseUntilArg = (text: string, now: number): Either.Either<{ readonly seq: number } | { readonly at: number }, string> =>
  /^\d+$/.test(text) && Number(text) < 1e12
    ? Either.right({ seq: Number(text) })
    : Either.map(parseTimeArg(text, now), (at) => ({ at }))

const pad = (n: number, width = 2) => String(n).padStart(width, "0")

/** Local time to the millisecond, as an operator reads logs. */
export const formatTime = (ms: number) => {
  const d = new Date(ms)
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
}

/** "3s", "4m12s", "2h5m", "3d4h": how long, the two largest units. */
export const formatAge = (ms: number) => {
  const s = Math.floor(ms / 1000)
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m${s % 60 > 0 ? `${s % 60}s` : ""}`
  const h = Math.floor(m / 60)
  if (h < 24) return `${h}h${m % 60 > 0 ? `${m % 60}m` : ""}`
  return `${Math.floor(h / 24)}d${h % 24 > 0 ? `${h % 24}h` : ""}`
}
