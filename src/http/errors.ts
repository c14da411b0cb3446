import { HttpApiSchema } from "@effect/platform"
import { Schema } from "effect"
import { FindingJson } from "../app/shapes.js"
import { HealthProbed } from "../domain/events.js"

/**
 * The API's errors: one shape, `{ _tag, message, hint }` (some add a field), so a client reads
 * any error the same way; a request Effect's own decoding refuses is answered as BadRequest too.
 */
const words = {
  message: Schema.String.annotations({ description: "What is wrong, in a sentence" }),
  hint: Schema.String.annotations({ description: "What to do about it" })
}

export class BadRequest extends Schema.TaggedError<BadRequest>()("BadRequest", words, HttpApiSchema.annotations({ status: 400 })) {}
export class Unauthorized extends Schema.TaggedError<Unauthorized>()("Unauthorized", words, HttpApiSchema.annotations({ status: 401 })) {}
export class Forbidden extends Schema.TaggedError<Forbidden>()("Forbidden", words, HttpApiSchema.annotations({ status: 403 })) {}
export class NotFound extends Schema.TaggedError<NotFound>()("NotFound", words, HttpApiSchema.annotations({ status: 404 })) {}
/** A body whose Content-Length is over the limit, refused before it is read. */
export class TooLarge extends Schema.TaggedError<TooLarge>()("TooLarge", words, HttpApiSchema.annotations({ status: 413 })) {}

export class Invalid extends Schema.TaggedError<Invalid>()(
  "Invalid",
  { ...words, findings: Schema.Array(FindingJson) },
  HttpApiSchema.annotations({ status: 422 })
) {}

const { _tag: _, ...probed } = HealthProbed.fields
export const ProbeJson = Schema.Struct({ at: Schema.Number.annotations({ description: "When (ms since the epoch)" }), ...probed }).annotations({ identifier: "Probe" })

/** A wait that ended without the instance healthy (or stopped): what `orch up` would print. */
export class NotDone extends Schema.TaggedError<NotDone>()(
  "NotDone",
  {
    ...words,
    seq: Schema.Number.annotations({ description: "The request's seq" }),
    last_probe: Schema.NullOr(ProbeJson),
    stderr_tail: Schema.Array(Schema.String).annotations({ description: "The last lines the server wrote to stderr" })
  },
  HttpApiSchema.annotations({ status: 504 })
) {}
