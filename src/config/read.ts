import { Effect, Either } from "effect"
import { type ParseError, parse, printParseErrorCode } from "jsonc-parser"
import type { Finding } from "../domain/findings.js"
import { notAFile, openNonBlocking } from "./file-kind.js"

const WORDS: Record<string, string> = {
  InvalidSymbol: "unexpected character",
  InvalidNumberFormat: "malformed number",
  PropertyNameExpected: "expected a key in double quotes",
  ValueExpected: "expected a value",
  ColonExpected: `expected ":"`,
  CommaExpected: `expected ","`,
  CloseBraceExpected: `expected "}"`,
  CloseBracketExpected: `expected "]"`,
  EndOfFileExpected: "unexpected text after the end",
  InvalidCommentToken: "comments are not allowed in JSON",
  UnexpectedEndOfComment: "comments are not allowed in JSON",
  UnexpectedEndOfString: "unterminated string",
  UnexpectedEndOfNumber: "unterminated number",
  InvalidUnicode: "bad unicode escape",
  InvalidEscapeCharacter: "bad escape character",
  InvalidCharacter: "control character inside a string"
}

const lineAndColumn = (text: string, offset: number) => {
  const before = text.slice(0, offset).split("\n")
  return { line: before.length, column: before[before.length - 1]!.length + 1 }
}

/** Deeper than any config or autostart list; checked first, since deep nesting overflows the stack of what runs after. */
const MAX_DEPTH = 64

/** Where the nesting of arrays and objects first passes `limit`, by a flat scan that cannot overflow. */
const tooDeepAt = (text: string, limit: number): number | undefined => {
  let depth = 0
  let inString = false
  for (let index = 0; index < text.length; index++) {
    const char = text[index]
    if (inString) {
      if (char === "\\") index++
      else if (char === '"') inString = false
    } else if (char === '"') inString = true
    else if (char === "[" || char === "{") {
      if (++depth > limit) return index
    } else if (char === "]" || char === "}") depth--
  }
  return undefined
}

/** JSON.parse is the judge; jsonc-parser only says where, since V8's messages often omit it. */
export const parseJson = (text: string): Either.Either<unknown, Finding> => {
  const deep = tooDeepAt(text, MAX_DEPTH)
  if (deep !== undefined) {
    const { line, column } = lineAndColumn(text, deep)
    return Either.left({
      field: "",
      problem: `nested too deeply (more than ${MAX_DEPTH} levels): a config is a few levels deep`,
      hint: `look at line ${line}, column ${column}, where it passes ${MAX_DEPTH} levels of [ and {`
    })
  }
  try {
    return Either.right(JSON.parse(text))
  } catch (cause) {
    const errors: Array<ParseError> = []
    parse(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false })
    const first = errors[0]
    if (first === undefined) {
      return Either.left({ field: "", problem: `malformed JSON: ${(cause as Error).message}`, hint: "fix the JSON syntax" })
    }
    const { line, column } = lineAndColumn(text, first.offset)
    const code = printParseErrorCode(first.error)
    return Either.left({
      field: "",
      problem: `malformed JSON at line ${line}, column ${column}: ${WORDS[code] ?? code}`,
      hint: code === "ValueExpected" || code === "PropertyNameExpected"
        ? "look for a trailing comma or a missing value just before it"
        : "fix the JSON syntax there"
    })
  }
}

/** The text of a regular file, or what stands there instead (a FIFO would block a plain read forever). */
const readText = async (file: string): Promise<Either.Either<string, Finding>> => {
  const handle = await openNonBlocking(file)
  try {
    const kind = notAFile(await handle.stat())
    return kind === undefined
      ? Either.right(await handle.readFile("utf8"))
      : Either.left({ field: "", problem: `it is ${kind}, not a file`, hint: "make it a regular JSON file" })
  } finally {
    await handle.close()
  }
}

/** Reads and parses a JSON file; a missing or unreadable file is a finding, not a crash. */
export const readJsonFile = (file: string): Effect.Effect<Either.Either<unknown, Finding>> =>
  Effect.promise(() =>
    readText(file).then(
      (text) => Either.flatMap(text, (content) => parseJson(content.replace(/^\uFEFF/, ""))),
      (error: NodeJS.ErrnoException) =>
        Either.left<Finding>({
          field: "",
          problem: error.code === "ENOENT" ? "file not found" : `cannot read the file (${error.code ?? error.message})`,
          hint: error.code === "ENOENT" ? "check the path, or create it with `orch init`" : "check its permissions"
        })
    )
  )
