import { Either, ParseResult, Schema } from "effect"

/**
 * Durations in configs are seconds as a number, or a string such as "90s", "5m", "1h30m",
 * "500ms". Decoded, they are whole milliseconds: every timer in the program works in ms.
 */
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y
export const DURATION_PATTERN = "^\\s*(\\d+(\\.\\d+)?|(\\d+(\\.\\d+)?(ms|s|m|h|d))+)\\s*$"

export const parseDuration = (input: number | string): Either.Either<number, string> => {
  if (typeof input === "number") {
    return Number.isFinite(input) && input >= 0
      ? Either.right(Math.round(input * 1_000))
      : Either.left("a duration must be zero or more seconds")
  }
  const text = input.trim()
  if (text === "") return Either.left("a duration cannot be empty")
  if (/^\d+(\.\d+)?$/.test(text)) return Either.right(Math.round(Number(text) * 1_000))
  let total = 0
  PART.lastIndex = 0
  while (PART.lastIndex < text.length) {
    const at = PART.lastIndex
    const match = PART.exec(text)
    if (match === null) return Either.left(`${JSON.stringify(input)} is not a duration (stuck at ${JSON.stringify(text.slice(at))})`)
    total += Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]
  }
  return Either.right(Math.round(total))
}

/** The shortest exact spelling of a duration, for showing configs and defaults back. */
export const formatDuration = (ms: number): string => {
  if (ms === 0) return "0s"
  for (const [unit, size] of [["d", 86_400_000], ["h", 3_600_000], ["m", 60_000], ["s", 1_000]] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`
  }
  return `${ms}ms`
}

/** Made per field rather than when the module loads: the thin launcher shows durations without Schema (scripts/build.mjs). */
const durationInput = () => Schema.Union(Schema.Number, Schema.String.annotations({ jsonSchema: { type: "string", pattern: DURATION_PATTERN } }))

/** How a refused duration was written, for the message: a number is seconds. */
const written = (input: number | string) => (typeof input === "number" ? `${input}s` : JSON.stringify(input))

/**
 * A duration field, decoded to milliseconds, from `minMs` to `maxMs`. The upper bound is what the
 * field can sensibly mean: a huge value parses (1e308 s) but then nothing ever happens.
 */
export const Duration = (options: { readonly minMs?: number; readonly maxMs: number; readonly description: string }) => {
  const minMs = options.minMs ?? 0
  return Schema.transformOrFail(durationInput(), Schema.Number, {
    strict: true,
    decode: (input, _, ast) =>
      Either.match(parseDuration(input), {
        onLeft: (problem) => ParseResult.fail(new ParseResult.Type(ast, input, problem)),
        onRight: (ms) =>
          ms < minMs
            ? ParseResult.fail(new ParseResult.Type(ast, input, `must be at least ${formatDuration(minMs)}`))
            : ms > options.maxMs
              ? ParseResult.fail(new ParseResult.Type(ast, input, `must be at most ${formatDuration(options.maxMs)}, got ${written(input)}`))
              : ParseResult.succeed(ms)
      }),
    encode: (ms) => ParseResult.succeed(formatDuration(ms))
  }).annotations({
    description: `${options.description} (at most ${formatDuration(options.maxMs)}; seconds, or a string like "90s", "5m", "1h")`
  })
}
