import { Either } from "effect"
import { parseDuration } from "../domain/duration.js"
import { isShowableTime } from "../domain/time.js"

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
