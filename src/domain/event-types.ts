import { Either, Option } from "effect"
import { EVENT_TYPES, type EventType, isEventType } from "./events.js"
import { didYouMean } from "./suggest.js"

/**
 * Event types named in one text, separated by commas (`--type`, `?type=`): each one, or the first
 * that is not a type with what it may have meant. Blanks are skipped: what an empty list means
 * is for each door to say.
 */
export const namedEventTypes = (text: string): Either.Either<ReadonlyArray<EventType>, { readonly type: string; readonly hint: string }> => {
  const named = text.split(",").map((type) => type.trim()).filter((type) => type !== "")
  const bad = named.find((type) => !isEventType(type))
  if (bad === undefined) return Either.right(named as ReadonlyArray<EventType>)
  const hint = Option.match(didYouMean(bad, EVENT_TYPES), { onSome: (guess) => `did you mean ${guess}?`, onNone: () => `one of ${EVENT_TYPES.join(", ")}` })
  return Either.left({ type: bad, hint })
}
