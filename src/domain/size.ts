import { Either, ParseResult, Schema } from "effect"

/** Sizes are bytes as a number, or a string like "50MB". Units are binary: 1 KB = 1024 bytes. */
const UNIT_BYTES: Record<string, number> = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }
const SIZE = /^\s*(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?\s*$/i
export const SIZE_PATTERN = "^\\s*\\d+(\\.\\d+)?\\s*([kKmMgG]([iI]?[bB])?|[bB])?\\s*$"

export const parseSize = (input: number | string): Either.Either<number, string> => {
  if (typeof input === "number") {
    return Number.isInteger(input) && input > 0 ? Either.right(input) : Either.left("a size must be a whole number of bytes above 0")
  }
  const match = SIZE.exec(input)
  if (match === null) return Either.left(`${JSON.stringify(input)} is not a size`)
  const bytes = Math.round(Number(match[1]) * (UNIT_BYTES[(match[2] ?? "").toLowerCase()] ?? 1))
  return bytes > 0 ? Either.right(bytes) : Either.left("a size must be above 0")
}

export const formatSize = (bytes: number): string => {
  for (const [unit, size] of [["GB", 1024 ** 3], ["MB", 1024 ** 2], ["KB", 1024]] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`
  }
  return `${bytes}B`
}

/** A size field, decoded to bytes, at most `maxBytes`: a size past any disk parses, but means nothing. */
export const Size = (options: { readonly maxBytes: number; readonly description: string }) =>
  Schema.transformOrFail(
    Schema.Union(Schema.Number, Schema.String.annotations({ jsonSchema: { type: "string", pattern: SIZE_PATTERN } })),
    Schema.Number,
    {
      strict: true,
      decode: (input, _, ast) =>
        Either.match(parseSize(input), {
          onLeft: (problem) => ParseResult.fail(new ParseResult.Type(ast, input, problem)),
          onRight: (bytes) =>
            bytes > options.maxBytes
              ? ParseResult.fail(new ParseResult.Type(ast, input, `must be at most ${formatSize(options.maxBytes)}, got ${JSON.stringify(input)}`))
              : ParseResult.succeed(bytes)
        }),
      encode: (bytes) => ParseResult.succeed(formatSize(bytes))
    }
  ).annotations({
    description: `${options.description} (at most ${formatSize(options.maxBytes)}; bytes, or a string like "50MB"; 1 KB = 1024 bytes)`
  })

/** For people: "1.6 KB", "12 MB", "512 B". formatSize is exact, for configs. */
export const humanSize = (bytes: number): string => {
  for (const [unit, size] of [["GB", 1024 ** 3], ["MB", 1024 ** 2], ["KB", 1024]] as const) {
    if (bytes >= size) return `${(bytes / size).toFixed(bytes / size < 10 ? 1 : 0)} ${unit}`
  }
  return `${bytes} B`
}
