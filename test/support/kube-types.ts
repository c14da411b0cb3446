import * as path from "node:path"
import ts from "typescript"

/*
 * kubernetes-models' validators check types and required fields but let an unknown field pass.
 * kubernetes-types (generated from the same OpenAPI document) closes that gap: each object is
 * type-checked as a literal of its kind, and TypeScript's excess-property check names any field
 * the API does not have, at any depth.
 */
const IMPORTS = [
  'import type { Deployment } from "kubernetes-types/apps/v1.js"',
  'import type { Secret, Service } from "kubernetes-types/core/v1.js"'
]
const OPTIONS: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  types: [],
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext
}

/** The type errors of each object read as its kind: none for a well-formed manifest. */
export const kubeTypeErrors = (objects: ReadonlyArray<{ readonly kind: string }>): ReadonlyArray<string> => {
  const file = path.resolve("test/support/kube-types.check.ts")
  const source = [...IMPORTS, ...objects.map((object, index) => `export const object${index}: ${object.kind} = ${JSON.stringify(object)}`)].join("\n")
  const host = ts.createCompilerHost(OPTIONS)
  const { getSourceFile, fileExists, readFile } = host
  host.getSourceFile = (name, language, ...rest) => (name === file ? ts.createSourceFile(name, source, language) : getSourceFile(name, language, ...rest))
  host.fileExists = (name) => name === file || fileExists(name)
  host.readFile = (name) => (name === file ? source : readFile(name))
  return ts.getPreEmitDiagnostics(ts.createProgram([file], OPTIONS, host)).map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"))
}
