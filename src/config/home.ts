import * as path from "node:path"

/**
 * The home folder holds everything of one deployment (like docker compose's project folder):
 * `--home`, else `LLAMA_ORCH_HOME`, else the current directory.
 */
export const resolveHome = (flag: string | undefined, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string =>
  path.resolve(cwd, flag ?? env["LLAMA_ORCH_HOME"] ?? ".")

export const instancesDir = (home: string) => path.join(home, "instances")
export const instanceDir = (home: string, name: string) => path.join(instancesDir(home), name)
export const configFile = (home: string, name: string) => path.join(instanceDir(home, name), "config.json")

/** Logs sit beside the config that names them: `<instance folder>/logs`. */
export const logsDirFor = (file: string) => path.join(path.dirname(file), "logs")

/** Relative paths inside a config start at the home folder, wherever orch is run from. */
export const fromHome = (home: string, target: string) => path.resolve(home, target)

export const journalDir = (home: string) => path.join(home, "journal")
export const journalFile = (home: string) => path.join(journalDir(home), "orch.db")
