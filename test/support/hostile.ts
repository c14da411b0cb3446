import fc from "fast-check"

/**
 * Generated hostile input, by class: control characters, extreme and odd numbers, deep nesting,
 * names that are paths, huge strings, wrong kinds. Property tests draw from these; they must find
 * each class by themselves, not from a list of known cases.
 */

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: fc.constantFrom("\u0000", "\r", "\n", "\t", "\u001b", "\u007f", "\u0085", "\u2028", "a", "/", ".", "=", "%", "\\", '"'), maxLength: 12 }),
  fc.constantFrom("", " ", "../x", "../../etc/passwd", "/dev/zero", "~", "-5", "0", "1e308", "NaN", "Infinity", "0x10", "٣", "５", "true", "null", "{}", "-1h", "5y", "1.5.5s"),
  fc.nat({ max: 300_000 }).map((length) => "9".repeat(length))
)

export const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.constantFrom(1e308, -1e308, -0, 2 ** 53, 2 ** 31, 2 ** 31 - 1, -1, 0.1, 65_536, 1e-320)
)

/** Nested arrays or objects, up to far deeper than anything we read. */
export const deepValue: fc.Arbitrary<unknown> = fc.record({ depth: fc.integer({ min: 1, max: 1_000 }), object: fc.boolean() }).map(({ depth, object }) => {
  let value: unknown = 1
  for (let level = 0; level < depth; level++) value = object ? { a: value } : [value]
  return value
})

export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  hostileNumber,
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 3 }),
  deepValue,
  fc.dictionary(hostileString, fc.jsonValue({ maxDepth: 1 }), { maxKeys: 4 })
)

/** A value written into `base` at `path`, the objects on the way made if missing. */
export const setAt = (base: unknown, path: ReadonlyArray<string>, value: unknown): unknown => {
  if (path.length === 0) return value
  const [head, ...rest] = path as [string, ...Array<string>]
  const object = typeof base === "object" && base !== null && !Array.isArray(base) ? (base as Record<string, unknown>) : {}
  return { ...object, [head]: setAt(object[head], rest, value) }
}

/**
 * The text of a hostile file: a good document with one field spoilt, a wrong kind of document,
 * raw bytes, deep nesting written out, a good document cut short or dressed in comments, a BOM,
 * numbers JSON.parse turns into Infinity.
 */
export const hostileFile = (good: unknown, paths: ReadonlyArray<ReadonlyArray<string>>): fc.Arbitrary<Buffer> => {
  const goodText = JSON.stringify(good, null, 2)
  return fc.oneof(
    { weight: 6, arbitrary: fc.tuple(fc.constantFrom(...paths), hostileValue).map(([path, value]) => JSON.stringify(setAt(good, path, value))) },
    { weight: 1, arbitrary: fc.tuple(hostileString, hostileValue).map(([key, value]) => JSON.stringify(setAt(good, [key], value))) },
    { weight: 1, arbitrary: fc.jsonValue().map((value) => JSON.stringify(value)) },
    { weight: 1, arbitrary: fc.nat({ max: goodText.length }).map((cut) => goodText.slice(0, cut)) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 200_000 }).map((depth) => `${"[".repeat(depth)}${"]".repeat(depth)}`) },
    { weight: 1, arbitrary: fc.constantFrom(`\uFEFF${goodText}`, `// comment\n${goodText}`, goodText.replace(/\n}$/, ",\n}"), goodText.replace(/: \d+/, ": 1e999"), "", " ", "\u0000") },
    { weight: 1, arbitrary: hostileString }
  ).map((text) => Buffer.from(text)).chain((text) => fc.oneof({ weight: 9, arbitrary: fc.constant(text) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)) }))
}

/**
 * What must never reach a user: the schema library's wording, Effect's internals, a JavaScript
 * value printed raw (NaN or undefined, unless quoted from what the user wrote; a check that has
 * the input at hand also lets the user's own words pass unquoted). "JSON Schema" is our own
 * words (the `$schema` field).
 */
export const INTERNAL_WORDING =
  /Expected |, actual |Encoded side|Type side|\bStruct\b|(?<!JSON )\bSchema\b|FiberFailure|\bCause\b|ParseError|readonly |is not a integer|\[object Object\]|(?<!")\b(NaN|undefined)\b(?!\\?")|A user-defined piece/

/** A line of a stack trace. */
export const STACK_LINE = /^\s+at .+:\d+:\d+\)?$/m
