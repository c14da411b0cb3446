import * as path from "node:path"

/* Plain code, no Effect: the thin launcher (src/launcher/thin.ts) finds a daemon by these. */

/**
 * The home folder holds everything of one deployment (like docker compose's project folder):
 * `--home`, else `LLAMA_ORCH_HOME`, else the current directory.
 */
export const resolveHome = (flag: string | undefined, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string =>
  path.resolve(cwd, flag ?? env["LLAMA_ORCH_HOME"] ?? ".")

/**
 * The home's layout, named here (the lock's two files by runtime/lock.ts, inside journalDir):
 *   instances/<name>/config.json                           one folder per instance
 *   instances/<name>/logs/stdout.log, stderr.log           its server's output
 *   journal/orch.db, journal/daemon.log                    the journal, and the background daemon's output
 *   journal/daemon.lock, journal/daemon.pid                the daemon's lock and who holds it
 *   journal/api.token                                      the API's token (0600), made at a daemon's first start
 *   journal/daemon.api                                     where the running daemon's API answers (runtime/daemon-address.ts)
 *   autostart.json                                         what a boot starts
 *   orch.json                                              settings of the home as a whole (the HTTP API)
 *   service/                                               Windows service files (systemd and launchd keep theirs)
 */
export const instancesDir = (home: string) => path.join(home, "instances")
export const instanceDir = (home: string, name: string) => path.join(instancesDir(home), name)
export const configFile = (home: string, name: string) => path.join(instanceDir(home, name), "config.json")

/** Logs sit beside the config that names them: `<instance folder>/logs`. */
export const logsDirFor = (file: string) => path.join(path.dirname(file), "logs")

/** An instance's two logs: the server's stdout, and its stderr, where llama-server logs. */
export const logFiles = (home: string, name: string) => {
  const dir = logsDirFor(configFile(home, name))
  return { dir, stdout: path.join(dir, "stdout.log"), stderr: path.join(dir, "stderr.log") }
}

/** Relative paths inside a config start at the home folder, wherever orch is run from. */
export const fromHome = (home: string, target: string) => path.resolve(home, target)

export const journalDir = (home: string) => path.join(home, "journal")
export const journalFile = (home: string) => path.join(journalDir(home), "orch.db")
export const daemonLog = (home: string) => path.join(journalDir(home), "daemon.log")
export const apiTokenFile = (home: string) => path.join(journalDir(home), "api.token")
export const daemonAddressFile = (home: string) => path.join(journalDir(home), "daemon.api")
export const autostartFile = (home: string) => path.join(home, "autostart.json")
export const settingsFile = (home: string) => path.join(home, "orch.json")
export const serviceDir = (home: string) => path.join(home, "service")
