import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { daemonLog, serviceDir } from "../config/home.js"
import { type ServiceSpec, launchdPlist, nssmScript, serviceName, systemdUnit, taskSchedulerXml } from "../domain/service.js"
import { daemonEnv } from "../runtime/daemon-env.js"

/** What running the daemon as a service means on each platform: its files and the commands that load them. */
export type Platform = "linux" | "macos" | "windows"
export const PLATFORMS: ReadonlyArray<Platform> = ["linux", "macos", "windows"]
export const thisPlatform = (): Platform | undefined =>
  process.platform === "linux" ? "linux" : process.platform === "darwin" ? "macos" : process.platform === "win32" ? "windows" : undefined

const unitDir = (scope: "user" | "system") =>
  scope === "system" ? "/etc/systemd/system" : path.join(process.env["XDG_CONFIG_HOME"] ?? path.join(os.homedir(), ".config"), "systemd", "user")

export interface ServiceFile {
  readonly file: string
  readonly text: string
  /** Task Scheduler reads its XML as UTF-16. */
  readonly utf16?: boolean
}

/** What installing means on one platform: files, and the commands that load and unload them. */
interface Plan {
  readonly files: ReadonlyArray<ServiceFile>
  readonly enable: ReadonlyArray<ReadonlyArray<string>>
  readonly disable: ReadonlyArray<ReadonlyArray<string>>
  /** Run once the files are gone. */
  readonly forget: ReadonlyArray<ReadonlyArray<string>>
  readonly enabled: string
}

export const plan = (platform: Platform, spec: ServiceSpec): Plan => {
  const system = spec.scope === "system"
  switch (platform) {
    case "linux": {
      const systemctl = (...args: Array<string>) => ["systemctl", ...(system ? [] : ["--user"]), ...args]
      return {
        files: [{ file: path.join(unitDir(spec.scope), `${spec.name}.service`), text: systemdUnit(spec) }],
        enable: [systemctl("daemon-reload"), systemctl("enable", "--now", `${spec.name}.service`)],
        disable: [systemctl("disable", "--now", `${spec.name}.service`)],
        forget: [systemctl("daemon-reload")],
        enabled: `${spec.name}.service enabled and started: the daemon now starts at ${system ? "boot" : "login (at boot with `loginctl enable-linger`)"}`
      }
    }
    case "macos": {
      const file = system ? path.join("/Library/LaunchDaemons", `${spec.name}.plist`) : path.join(os.homedir(), "Library", "LaunchAgents", `${spec.name}.plist`)
      return {
        files: [{ file, text: launchdPlist(spec) }],
        enable: [["launchctl", "load", "-w", file]],
        disable: [["launchctl", "unload", "-w", file]],
        forget: [],
        enabled: `${spec.name} loaded into launchd: the daemon now starts at ${system ? "boot" : "login"}`
      }
    }
    case "windows": {
      const dir = serviceDir(spec.home)
      const xml = path.join(dir, `${spec.name}.xml`)
      return {
        files: [{ file: xml, text: taskSchedulerXml(spec), utf16: true }, { file: path.join(dir, `${spec.name}-nssm.cmd`), text: nssmScript(spec) }],
        enable: [["schtasks", "/Create", "/TN", spec.name, "/XML", xml, "/F"], ["schtasks", "/Run", "/TN", spec.name]],
        disable: [["schtasks", "/End", "/TN", spec.name], ["schtasks", "/Delete", "/TN", spec.name, "/F"]],
        forget: [],
        enabled: `task ${spec.name} created and started: the daemon now starts at ${system ? "boot" : "logon"} (or run ${path.join(dir, `${spec.name}-nssm.cmd`)} for an NSSM service instead)`
      }
    }
  }
}

/** What installing for `scope` means here: the service's name, paths and environment for this home. */
export const specFor = (home: string, scope: "user" | "system"): ServiceSpec => ({
  name: serviceName(home),
  home,
  scope,
  node: process.execPath,
  orch: path.resolve(process.argv[1]!),
  env: daemonEnv({}) as Record<string, string>,
  log: daemonLog(home),
  user: process.env["SUDO_USER"] ?? os.userInfo().username
})

/** The service file of this home installed on this machine, for either scope, if any: what `orch doctor` reports. */
export const installedService = (home: string): string | undefined => {
  const platform = thisPlatform()
  if (platform === undefined) return undefined
  return (["user", "system"] as const).map((scope) => plan(platform, specFor(home, scope)).files[0]!.file).find((file) => fs.existsSync(file))
}
