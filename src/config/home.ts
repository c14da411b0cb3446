import * as fs from "node:fs"
import * as path from "node:path"
import { Data, Either } from "effect"
import { notAFile } from "./file-kind.js"
import { resolveHome } from "./paths.js"

export * from "./paths.js"

/** A home that no command may use; `source` is where it was named. */
export class BadHome extends Data.TaggedError("BadHome")<{
  readonly source: "--home" | "LLAMA_ORCH_HOME"
  readonly problem: string
  readonly hint: string
}> {}

/**
 * Why a path cannot be a home, or undefined: a folder, or nothing yet (`init` and the first `up`
 * make it; reading commands find nothing there). Only stat: a FIFO standing there is never opened.
 */
export const homeProblem = (home: string): string | undefined => {
  try {
    const stat = fs.statSync(home)
    return stat.isDirectory() ? undefined : `${home} is ${stat.isFile() ? "a file" : notAFile(stat)}, not a folder`
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === "ENOENT") return undefined
    return code === "ENOTDIR" ? `${home} cannot be a folder: ${fileOnTheWay(home)} is a file` : `${home} cannot be looked at (${code ?? String(error)})`
  }
}

/** The file that stands where a folder of the path should be. */
const fileOnTheWay = (target: string): string => {
  for (let dir = path.dirname(target); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    try {
      if (!fs.statSync(dir).isDirectory()) return dir
    } catch {
      // Under that file: further up.
    }
  }
  return target
}

/**
 * The home, checked before any command touches it. An empty `--home` or `LLAMA_ORCH_HOME` is most
 * often an unset shell variable: quietly reading it as the current directory would put a journal
 * wherever the command happened to run.
 */
export const findHome = (flag: string | undefined, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Either.Either<string, BadHome> => {
  const fromEnv = env["LLAMA_ORCH_HOME"]
  const source = flag !== undefined ? "--home" : "LLAMA_ORCH_HOME"
  if (flag !== undefined && flag.trim() === "") {
    return Either.left(new BadHome({ source, problem: "must not be empty", hint: "name the home folder, or leave --home out to use $LLAMA_ORCH_HOME, else the current directory" }))
  }
  if (flag === undefined && fromEnv !== undefined && fromEnv.trim() === "") {
    return Either.left(new BadHome({ source, problem: "is set but empty", hint: "set it to the home folder, or unset it to use the current directory" }))
  }
  const home = resolveHome(flag, env, cwd)
  const problem = flag === undefined && fromEnv === undefined ? undefined : homeProblem(home)
  return problem === undefined
    ? Either.right(home)
    : Either.left(new BadHome({ source, problem, hint: "point it at a folder (orch makes one where nothing is), or move that file away" }))
}
