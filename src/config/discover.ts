import * as fs from "node:fs/promises"
import * as path from "node:path"
import { Effect, Either } from "effect"
import type { FileFinding, Finding } from "../domain/findings.js"
import { checkName, suggestName } from "../domain/name.js"
import { notAFile } from "./file-kind.js"
import { configFile, instanceDir, instancesDir } from "./home.js"
import { readJsonFile } from "./read.js"

export interface Discovered {
  /** Instances whose folder name is valid and that hold a config.json. */
  readonly names: ReadonlyArray<string>
  /**
   * Folders that look like instances but cannot be one, each once: `orch config lint` shows them,
   * every other command leaves them alone (nothing in them is read, listed or started).
   */
  readonly findings: ReadonlyArray<FileFinding>
}

/*
 * Symlinks under instances/ are followed only while they stay inside the home. The home is one
 * deployment, moved, copied and backed up as a whole: a link from instances/chat to ../shared/chat
 * reaches nothing a real folder there could not hold, so it is an instance like any other. A link
 * out of the home would make another home's instance (its config, and the logs the daemon writes
 * beside it) this home's too, and a copy of the home would silently lose it: never followed.
 * Two links to one folder are two instances on one port, which lint already refuses.
 */

/** Whether a real path lies inside the real home (the home itself is not an instance folder). */
const inside = (realHome: string, target: string) => {
  const relative = path.relative(realHome, target)
  return relative !== "" && relative !== ".." && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative)
}

const OUT_OF_HOME = "outside the home; orch never follows a symlink out of the home"

/** A finding when `entry` is a symlink that leads out of the home or to nothing; undefined for anything else. */
const symlinkProblem = async (realHome: string, entry: string, kind: "folder" | "config", instance?: string): Promise<FileFinding | undefined> => {
  const stat = await fs.lstat(entry).catch(() => undefined)
  if (stat?.isSymbolicLink() !== true) return undefined
  const located = instance === undefined ? { file: entry, field: "" } : { file: entry, instance, field: "" }
  const label = kind === "folder" ? "it" : "config.json"
  const target = await fs.realpath(entry).catch(() => undefined)
  if (target === undefined) {
    const said = path.resolve(path.dirname(entry), await fs.readlink(entry).catch(() => "?"))
    return {
      ...located,
      problem: `${label} is a symlink to ${said}, which does not exist`,
      hint: kind === "folder" ? "remove the symlink, or make it point at an instance folder" : "remove the symlink, or make it point at the instance's config"
    }
  }
  if (inside(realHome, target)) return undefined
  return {
    ...located,
    problem: `${label} is a symlink to ${target}, ${OUT_OF_HOME}`,
    hint: kind === "folder"
      ? "replace the symlink with a real folder (a copy of that one), or move that folder into the home and link to it there"
      : "replace the symlink with a copy of that file, or move the file into the home and link to it there"
  }
}

const realHomeOf = (home: string) => fs.realpath(home).catch(() => path.resolve(home))

/** What a valid instance name's folder holds: its config.json, or why it cannot be read as one. */
const configProblem = async (realHome: string, home: string, name: string): Promise<FileFinding | undefined> => {
  const file = configFile(home, name)
  const linked = await symlinkProblem(realHome, file, "config", name)
  if (linked !== undefined) return linked
  const stat = await fs.stat(file).catch(() => undefined)
  if (stat === undefined) return { file, instance: name, field: "", problem: "the folder has no config.json", hint: `create it with \`orch init ${name} --model PATH\`, or remove the folder` }
  const kind = notAFile(stat)
  return kind === undefined ? undefined : { file, instance: name, field: "", problem: `its config.json is ${kind}, not a file`, hint: "make it a regular JSON file" }
}

/** The instances of a home: every folder under `<home>/instances` that can be one, and a finding for each that cannot. */
export const discoverInstances = (home: string): Effect.Effect<Discovered> =>
  Effect.promise(async () => {
    const root = instancesDir(home)
    const realHome = await realHomeOf(home)
    const rootProblem = await symlinkProblem(realHome, root, "folder")
    if (rootProblem !== undefined) return { names: [], findings: [rootProblem] }
    const entries = await fs.readdir(root, { withFileTypes: true }).catch(() => [])
    const taken = new Set(entries.map((entry) => entry.name))
    const names: Array<string> = []
    const findings: Array<FileFinding> = []
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const folder = path.join(root, entry.name)
      // A file beside the instances (a schema, a README) is no instance; nor is a symlink to one.
      const isFolder = entry.isDirectory() || (entry.isSymbolicLink() && (await fs.stat(folder).then((stat) => stat.isDirectory(), () => true)))
      if (!isFolder) continue
      const named = checkName(entry.name)
      if (Either.isLeft(named)) {
        const suggested = suggestName(entry.name, taken)
        taken.add(suggested)
        findings.push({
          file: folder,
          instance: entry.name,
          field: "",
          problem: named.left,
          hint: `rename the folder, for example to "${suggested}": the folder name is the instance name (until then, orch ignores the folder)`
        })
        continue
      }
      const linked = entry.isSymbolicLink() ? await symlinkProblem(realHome, folder, "folder", entry.name) : undefined
      const problem = linked ?? (await configProblem(realHome, home, entry.name))
      if (problem === undefined) names.push(entry.name)
      else findings.push(problem)
    }
    return { names, findings }
  })

/**
 * Why instance `name` may not be read, by the rules discovery follows: its folder or config.json
 * is a symlink out of the home, or to nothing. Undefined when it may (or simply is not there).
 */
export const leavesHome = (home: string, name: string): Effect.Effect<FileFinding | undefined> =>
  Effect.promise(async () => {
    const realHome = await realHomeOf(home)
    return (
      (await symlinkProblem(realHome, instancesDir(home), "folder")) ??
      (await symlinkProblem(realHome, instanceDir(home, name), "folder", name)) ??
      (await symlinkProblem(realHome, configFile(home, name), "config", name))
    )
  })

/** An instance's config.json as `readJsonFile` reads it, unless it lies outside the home. */
export const readInstanceConfig = (home: string, name: string): Effect.Effect<Either.Either<unknown, Finding>> =>
  Effect.flatMap(leavesHome(home, name), (problem) => (problem === undefined ? readJsonFile(configFile(home, name)) : Effect.succeed(Either.left(problem))))
