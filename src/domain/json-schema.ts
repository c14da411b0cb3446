import { JSONSchema, type Schema } from "effect"
import { InstanceConfig } from "./config.js"
import { Settings } from "./settings.js"

type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }

// Effect titles every refinement with its constructor ("between(1, 65535)"): noise in an editor's hover.
const withoutRefinementTitles = (node: Json, isRoot: boolean): Json => {
  if (Array.isArray(node)) return node.map((child) => withoutRefinementTitles(child, false))
  if (node === null || typeof node !== "object") return node
  return Object.fromEntries(
    Object.entries(node as { readonly [key: string]: Json })
      .filter(([key]) => isRoot || key !== "title")
      .map(([key, value]) => [key, withoutRefinementTitles(value, false)])
  )
}

const jsonSchemaOf = <A, I>(schema: Schema.Schema<A, I>): Json => withoutRefinementTitles(JSONSchema.make(schema) as unknown as Json, true)

/** The JSON Schema of a config file, for editors (`"$schema": "../config.schema.json"`). */
export const configJsonSchema = (): Json => jsonSchemaOf(InstanceConfig)

/** The JSON Schema of `<home>/orch.json`, for editors. */
export const settingsJsonSchema = (): Json => jsonSchemaOf(Settings)
