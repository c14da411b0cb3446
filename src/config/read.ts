import * as fs from "node:fs/promises"
import { Effect, Either } from "effect"
import { type ParseError, parse, printParseErrorCode } from "jsonc-parser"
import type { Finding } from "../domain/findings.js"

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

/** JSON.parse is the judge; jsonc-parser only says where, since V8's messages often omit it. */
export const parseJson = (text: string): Either.Either<unknown, Finding> => {
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

/** Reads and parses a JSON file; a missing or unreadable file is a finding, not a crash. */
export const readJsonFile = (file: string): Effect.Effect<Either.Either<unknown, Finding>> =>
  Effect.promise(() =>
    fs.readFile(file, "utf8").then(
      (text) => parseJson(text.replace(/^\uFEFF/, "")),
      (error: NodeJS.ErrnoException) =>
        Either.left<Finding>({
          field: "",
          problem: error.code === "ENOENT" ? "file not found" : `cannot read the file (${error.code ?? error.message})`,
          hint: error.code === "ENOENT" ? "check the path, or create it with `orch init`" : "check its permissions"
        })
    )
  )
