import { HelpDoc, Options, ValidationError } from "@effect/cli"
import { Effect } from "effect"
import { BadOption } from "../app/errors.js"

/**
 * A number option within its range. The parser already refuses what is not a whole number, but
 * a negative count would otherwise be quietly read as zero or as "all".
 */
export const wholeNumber = (option: string, value: number, range: { readonly min: number; readonly max?: number }, hint: string) =>
  value >= range.min && (range.max === undefined || value <= range.max)
    ? Effect.succeed(value)
    : new BadOption({
        option,
        problem: `must be a whole number ${range.max === undefined ? `≥ ${range.min}` : `from ${range.min} to ${range.max}`}, got ${value}`,
        hint
      })

/** A text option that means nothing when empty (an unset shell variable, most often). */
export const nonEmpty = (option: string, value: string, hint: string) =>
  value.trim() !== "" ? Effect.succeed(value) : new BadOption({ option, problem: "must not be empty", hint })

/**
 * A whole-number option. @effect/cli's own integer option answers "'5x' is not a integer",
 * naming neither the option nor a fix; this one says both, as every other bad value does.
 */
export const integerOption = (name: string, hint: string) =>
  Options.text(name).pipe(
    Options.mapEffect((text) => {
      const value = Number(text)
      return /^\s*-?\d+\s*$/.test(text) && Number.isSafeInteger(value)
        ? Effect.succeed(value)
        : Effect.fail(ValidationError.invalidValue(HelpDoc.p(`error: --${name}: must be a whole number, got ${JSON.stringify(text)}\nhint: ${hint}`)))
    }),
    Options.withPseudoName("N")
  )
