import { createHash } from "node:crypto"
import { Data, Effect, Option } from "effect"
import { stringify } from "yaml"
import { discoverInstances, leavesHome } from "../config/discover.js"
import { configFile } from "../config/home.js"
import { loadConfig } from "../config/validate.js"
import type { FileFinding } from "../domain/findings.js"
import { exportInstance, kubeName, type ModelsVolume } from "../domain/kubernetes.js"
import { didYouMean } from "../domain/suggest.js"
import { BadOption } from "./errors.js"

/** Configs that cannot be exported as they stand: their findings, for the table they are fixed from. */
export class ConfigProblems extends Data.TaggedError("ConfigProblems")<{ readonly findings: ReadonlyArray<FileFinding> }> {}

export interface ExportOptions {
  readonly namespace: string | undefined
  readonly image: string | undefined
  readonly models: ModelsVolume
}

/** One instance's YAML: the file `--out` writes it to, and its text. */
export interface Manifest {
  readonly fileName: string
  readonly text: string
}

/** The instances asked for, each known to the home: --all (undefined) for every one. */
const resolveNames = (home: string, names: ReadonlyArray<string> | undefined) =>
  Effect.gen(function* () {
    const known = (yield* discoverInstances(home)).names
    for (const name of names ?? []) {
      if (known.includes(name)) continue
      const hint = Option.match(didYouMean(name, known), {
        onSome: (guess) => `did you mean "${guess}"? (orch ps lists them)`,
        onNone: () => (known.length === 0 ? "create one with `orch init NAME --model PATH`" : `one of ${known.join(", ")}`)
      })
      return yield* new BadOption({ option: "NAME", problem: `no instance "${name}" in ${home}`, hint })
    }
    // Two instances whose names differ only by "_" and "-" would be one set of objects in a cluster.
    const byObjectName = new Map<string, string>()
    const chosen = names === undefined ? known : [...new Set(names)]
    for (const name of chosen) {
      const other = byObjectName.get(kubeName(name))
      if (other !== undefined) {
        return yield* new BadOption({ option: "NAME", problem: `"${other}" and "${name}" would both be named "${kubeName(name)}" in Kubernetes`, hint: `rename one of them (its folder under instances/)` })
      }
      byObjectName.set(kubeName(name), name)
    }
    return chosen
  })

/** The same hash `orch up` journals: the config as written, so whitespace alone does not roll a Deployment. */
const hashOf = (raw: unknown) => createHash("sha256").update(JSON.stringify(raw)).digest("hex")

const header = (instance: string, notes: ReadonlyArray<string>) =>
  [`# orch export kubernetes: instance "${instance}"`, "# Not carried over, or carried over differently:", ...notes.map((note) => `#  - ${note}`)].join("\n")

/**
 * The manifests of the instances asked for. Every config is read and checked before any is
 * rendered: one that does not decode fails the whole export, so nothing partial is printed.
 */
export const exportKubernetes = (home: string, names: ReadonlyArray<string> | undefined, options: ExportOptions) =>
  Effect.gen(function* () {
    const resolved = yield* resolveNames(home, names)
    const loaded = yield* Effect.forEach(resolved, (name) =>
      Effect.gen(function* () {
        const outside = yield* leavesHome(home, name)
        if (outside !== undefined) return { name, findings: [outside] as ReadonlyArray<FileFinding> }
        return { name, ...(yield* loadConfig(configFile(home, name), name)) }
      })
    )
    const findings = loaded.flatMap((each) => each.findings)
    if (findings.length > 0) return yield* new ConfigProblems({ findings })
    return loaded.flatMap((each): ReadonlyArray<Manifest> => {
      if (!("config" in each) || each.config === undefined) return []
      const exported = exportInstance({ name: each.name, config: each.config, hash: hashOf(each.raw), ...options })
      const documents = exported.documents.map((document) => stringify(document, { lineWidth: 0, aliasDuplicateObjects: false }))
      return [{ fileName: `${kubeName(each.name)}.yaml`, text: `${header(each.name, exported.notes)}\n${documents.join("---\n")}` }]
    })
  })
