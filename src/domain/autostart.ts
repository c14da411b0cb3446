import { Schema } from "effect"
import { Duration } from "./duration.js"
import { NAME_PATTERN } from "./name.js"

/** `<home>/autostart.json`: what `orch daemon autostart` (and so a boot) starts, in which order. */

const Name = Schema.String.pipe(Schema.pattern(NAME_PATTERN, { message: () => "is not an instance name: lowercase letters, digits, - and _" })).annotations({
  description: "An instance of this home (a folder under instances/)"
})

const Entry = Schema.Union(
  Name,
  Schema.Struct({
    name: Name,
    order: Schema.optionalWith(Schema.Number.annotations({ description: "Lower starts first; entries without one follow, as listed" }), { exact: true }),
    delay: Schema.optionalWith(Duration({ description: "How long to wait before starting this one" }), { exact: true })
  })
)

export const Autostart = Schema.Struct({
  $schema: Schema.optionalWith(Schema.String, { exact: true }),
  instances: Schema.Array(Entry).annotations({ description: "The instances to start: names, or {name, order, delay}" }),
  delay: Schema.optionalWith(Duration({ description: "How long to wait between one start and the next" }), { exact: true, default: () => 0 })
})
export type Autostart = typeof Autostart.Type

export interface PlannedStart {
  readonly name: string
  /** How long to wait before this start. */
  readonly delay_ms: number
}

/** The starts in order: by `order` where given, then as listed; each after its delay (the first at once unless it sets one). */
export const planStarts = (autostart: Autostart): ReadonlyArray<PlannedStart> =>
  autostart.instances
    .map((entry, index) => (typeof entry === "string" ? { name: entry, index } : { ...entry, index }))
    .sort((a, b) => ("order" in a && a.order !== undefined ? a.order : Infinity) - ("order" in b && b.order !== undefined ? b.order : Infinity) || a.index - b.index)
    .map((entry, position) => ({ name: entry.name, delay_ms: "delay" in entry && entry.delay !== undefined ? entry.delay : position === 0 ? 0 : autostart.delay }))

/** Names listed more than once: each would only be asked to start twice. */
export const duplicateNames = (autostart: Autostart): ReadonlyArray<string> => {
  const names = autostart.instances.map((entry) => (typeof entry === "string" ? entry : entry.name))
  return [...new Set(names.filter((name, index) => names.indexOf(name) !== index))]
}
