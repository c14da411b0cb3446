import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Command, Options } from "@effect/cli"
import { Console, Effect } from "effect"
import { serviceName, systemdUnit } from "../domain/service.js"
import { daemonEnv } from "../runtime/daemon-env.js"
import { BadOption, ExitCode } from "./errors.js"
import { bad, ok } from "./findings.js"
import { homeFrom, homeOption } from "./options.js"
import { paint } from "./output.js"

export const unitDir = (scope: "user" | "system") =>
  scope === "system" ? "/etc/systemd/system" : path.join(process.env["XDG_CONFIG_HOME"] ?? path.join(os.homedir(), ".config"), "systemd", "user")

/** systemctl for this scope; its complaint if it fails (no systemd, no user session...). */
const systemctl = (scope: "user" | "system", ...args: Array<string>): string | undefined => {
  const run = spawnSync("systemctl", [...(scope === "user" ? ["--user"] : []), ...args], { encoding: "utf8" })
  if (run.error !== undefined) return run.error.message
  return run.status === 0 ? undefined : (run.stderr || run.stdout).trim() || `exit ${run.status}`
}

export const installService = Command.make(
  "install-service",
  {
    user: Options.boolean("user").pipe(Options.withDescription("A user unit, started when you log in, or at boot with `loginctl enable-linger` (the default)")),
    system: Options.boolean("system").pipe(Options.withDescription("A system unit in /etc/systemd/system, run as you, started at boot (needs root)")),
    print: Options.boolean("print").pipe(Options.withDescription("Print the unit and install nothing (default: off)")),
    uninstall: Options.boolean("uninstall").pipe(Options.withDescription("Stop, disable and remove the unit (default: off)")),
    home: homeOption
  },
  (options) =>
    Effect.gen(function* () {
      if (options.user && options.system) return yield* new BadOption({ option: "--system", problem: "a unit is either --user or --system", hint: "drop one of them" })
      if (process.platform !== "linux") {
        return yield* new BadOption({ option: "install-service", problem: `installs systemd units, on Linux; this is ${process.platform}`, hint: "the README shows how to set the daemon up with NSSM or Task Scheduler (Windows) and launchd (macOS)" })
      }
      const home = homeFrom(options.home)
      const scope = options.system ? "system" : "user"
      const name = serviceName(home)
      const file = path.join(unitDir(scope), `${name}.service`)
      const unit = systemdUnit({
        name, home, scope,
        node: process.execPath,
        orch: path.resolve(process.argv[1]!),
        env: daemonEnv({}) as Record<string, string>,
        user: process.env["SUDO_USER"] ?? os.userInfo().username
      })
      if (options.print) return yield* Console.log(`# ${file}\n${unit}`)
      if (options.uninstall) {
        const said = systemctl(scope, "disable", "--now", `${name}.service`)
        fs.rmSync(file, { force: true })
        systemctl(scope, "daemon-reload")
        return yield* ok(`removed ${file}${said === undefined ? "" : paint.dim(` (systemctl: ${said})`)}; the servers it started keep running until \`orch down --all\``)
      }
      yield* Effect.try({ try: () => (fs.mkdirSync(path.dirname(file), { recursive: true }), fs.writeFileSync(file, unit)), catch: (error) => error }).pipe(
        Effect.catchAll((error) => Effect.zipRight(bad(`could not write ${file}: ${String(error)}`), new ExitCode({ code: 1 })))
      )
      yield* ok(`wrote ${file}`)
      const said = systemctl(scope, "daemon-reload") ?? systemctl(scope, "enable", "--now", `${name}.service`)
      if (said !== undefined) {
        yield* bad(`systemctl could not enable it: ${said}`)
        yield* Console.log(paint.dim(`hint: where systemd runs, \`systemctl${scope === "user" ? " --user" : ""} enable --now ${name}.service\``))
        return yield* new ExitCode({ code: 1 })
      }
      yield* ok(`${name}.service enabled and started: the daemon now starts at ${scope === "user" ? "login (at boot with `loginctl enable-linger`)" : "boot"}`)
    })
).pipe(Command.withDescription("Run the daemon as a systemd service that starts at boot, with the instances of autostart.json (--print shows the unit)"))
