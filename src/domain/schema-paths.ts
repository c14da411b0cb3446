import { Option, SchemaAST as AST } from "effect"

/**
 * Walks a schema's AST along a JSON path (as written in a config file, so the encoded side),
 * to find which keys are allowed there and how the field is described.
 */

type Step = PropertyKey

/** The nodes a path step can lead to; unions fan out, wrappers are looked through. */
const children = (ast: AST.AST, step: Step): ReadonlyArray<AST.AST> => {
  switch (ast._tag) {
    case "Transformation":
    case "Refinement":
      return children(ast.from, step)
    case "Suspend":
      return children(ast.f(), step)
    case "Union":
      return ast.types.flatMap((member) => children(member, step))
    case "TypeLiteral": {
      const property = ast.propertySignatures.find((signature) => signature.name === step)
      if (property !== undefined) return [property.type]
      return ast.indexSignatures.map((signature) => signature.type)
    }
    case "TupleType":
      return typeof step === "number" ? ast.rest.map((element) => element.type) : []
    default:
      return []
  }
}

const nodesAt = (ast: AST.AST, path: ReadonlyArray<Step>): ReadonlyArray<AST.AST> =>
  path.reduce<ReadonlyArray<AST.AST>>((nodes, step) => nodes.flatMap((node) => children(node, step)), [ast])

const keysOf = (ast: AST.AST): ReadonlyArray<string> => {
  switch (ast._tag) {
    case "Transformation":
    case "Refinement":
      return keysOf(ast.from)
    case "Union":
      return ast.types.flatMap(keysOf)
    case "TypeLiteral":
      return ast.propertySignatures.map((signature) => String(signature.name))
    default:
      return []
  }
}

/** The keys an object at `path` may have. */
export const keysAt = (ast: AST.AST, path: ReadonlyArray<Step>): ReadonlyArray<string> => [
  ...new Set(nodesAt(ast, path).flatMap(keysOf))
]

const descriptionOf = (ast: AST.AST): Option.Option<string> => {
  const own = AST.getDescriptionAnnotation(ast)
  if (Option.isSome(own)) return own
  switch (ast._tag) {
    case "Transformation":
    case "Refinement":
      return descriptionOf(ast.from)
    default:
      return Option.none()
  }
}

/** What the field at `path` is, in the words of its schema's description. */
export const descriptionAt = (ast: AST.AST, path: ReadonlyArray<Step>): Option.Option<string> =>
  Option.firstSomeOf(nodesAt(ast, path).map(descriptionOf))

/** What a value at this node must be, in a user's words (for failures the schema leaves in its own). */
export const kindOf = (ast: AST.AST): string => {
  switch (ast._tag) {
    case "Transformation":
    case "Refinement":
      return kindOf(ast.from)
    case "Suspend":
      return kindOf(ast.f())
    case "Union":
      return [...new Set(ast.types.map(kindOf))].join(" or ")
    case "TypeLiteral":
      return "an object"
    case "TupleType":
      return "a list"
    case "StringKeyword":
      return "a string"
    case "NumberKeyword":
      return "a number"
    case "BooleanKeyword":
      return "true or false"
    case "Literal":
      return JSON.stringify(ast.literal)
    default:
      return "another kind of value"
  }
}

/** The kind expected at `path`. */
export const kindAt = (ast: AST.AST, path: ReadonlyArray<Step>): string =>
  [...new Set(nodesAt(ast, path).map(kindOf))].join(" or ") || "absent"

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/

/** A path as a user would write it; keys that are not plain words are quoted, so `a. b` cannot pass for two steps. */
export const formatPath = (path: ReadonlyArray<Step>): string =>
  path.reduce<string>((text, step) => {
    if (typeof step === "number") return `${text}[${step}]`
    const key = String(step)
    if (!IDENTIFIER.test(key)) return `${text}[${JSON.stringify(key)}]`
    return text === "" ? key : `${text}.${key}`
  }, "")
