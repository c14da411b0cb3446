/** Service definitions for running the daemon at boot: text only, written and run by the CLI. */

export interface ServiceSpec {
  /** The unit's name without ".service". */
  readonly name: string
  readonly home: string
  /** node and the orch launcher: absolute paths. */
  readonly node: string
  readonly orch: string
  /** The daemon's own environment (its memory tuning): see runtime/daemon-env.ts. */
  readonly env: Readonly<Record<string, string>>
  /** Where the daemon's own output goes where the service manager keeps none (launchd, NSSM). */
  readonly log: string
  readonly scope: "user" | "system"
  /** For a system unit: the user the daemon runs as. */
  readonly user?: string
}

/**
 * How `orch daemon run` ends when it refuses to start for a reason only a fix mends (a bad --home,
 * a damaged journal, a home it cannot write): 78, sysexits' EX_CONFIG. Service managers that can
 * tell exit statuses apart are told not to restart on it, rather than retry for ever.
 */
export const EXIT_CANNOT_START = 78

/** What a service manager runs: the daemon in the foreground, with the instances of autostart.json. */
const daemonArgs = (spec: ServiceSpec) => ["daemon", "run", "--autostart", "--home", spec.home]

/** systemd quotes: a word with spaces or quotes goes in double quotes, with \\ and " escaped. */
const quote = (word: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `"${word.replace(/[\\"]/g, (c) => `\\${c}`)}"`)

/** A name for the unit from the home's folder: one unit per home. */
export const serviceName = (home: string) => {
  const folder = home.split("/").filter((part) => part !== "").at(-1) ?? "root"
  const slug = folder.toLowerCase().replace(/[^a-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "")
  return `llama-orch-${slug === "" ? "home" : slug}`
}

/**
 * The systemd unit: `orch daemon run --autostart` in the foreground. KillMode=process: when
 * systemd stops or restarts the daemon, only the daemon ends; its servers run on and the next
 * daemon adopts them. Restart=on-failure brings a crashed daemon back, but not one that refused to
 * start (RestartPreventExitStatus): the unit stays failed, with the reason in its journal, until
 * the fix and a `systemctl restart`.
 */
export const systemdUnit = (spec: ServiceSpec): string =>
  [
    "[Unit]",
    `Description=llama-orchestrator: supervises the llama-server instances of ${spec.home}`,
    ...(spec.scope === "system" ? ["After=network-online.target", "Wants=network-online.target"] : []),
    "",
    "[Service]",
    "Type=simple",
    `ExecStart=${[spec.node, spec.orch, ...daemonArgs(spec)].map(quote).join(" ")}`,
    // WorkingDirectory takes the rest of the line as the path: no quotes.
    `WorkingDirectory=${spec.home}`,
    ...(spec.scope === "system" && spec.user !== undefined ? [`User=${spec.user}`] : []),
    ...Object.entries({ NO_COLOR: "1", ...spec.env }).map(([key, value]) => `Environment=${quote(`${key}=${value}`)}`),
    "Restart=on-failure",
    `RestartPreventExitStatus=${EXIT_CANNOT_START}`,
    "RestartSec=5",
    "KillMode=process",
    "",
    "[Install]",
    `WantedBy=${spec.scope === "system" ? "multi-user.target" : "default.target"}`,
    ""
  ].join("\n")


const xmlText = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!)

/**
 * The launchd property list (~/Library/LaunchAgents for --user, /Library/LaunchDaemons for
 * --system). AbandonProcessGroup: launchd kills a job's whole process group when it ends, and the
 * servers must outlive the daemon (KillMode=process in the systemd unit). KeepAlive with
 * SuccessfulExit false restarts a daemon that failed, as Restart=on-failure does. KeepAlive tells
 * a clean exit from any other, never one status from another: a daemon that refuses to start
 * (EXIT_CANNOT_START) is tried again every ThrottleInterval, and nothing here can prevent it.
 * Exiting 0 instead would, but would tell launchctl and the operator that all was well.
 */
export const launchdPlist = (spec: ServiceSpec): string => {
  const string = (text: string) => `<string>${xmlText(text)}</string>`
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">`,
    `<plist version="1.0">`,
    `<dict>`,
    `  <key>Label</key>`,
    `  ${string(spec.name)}`,
    `  <key>ProgramArguments</key>`,
    `  <array>`,
    ...[spec.node, spec.orch, ...daemonArgs(spec)].map((arg) => `    ${string(arg)}`),
    `  </array>`,
    `  <key>WorkingDirectory</key>`,
    `  ${string(spec.home)}`,
    ...(spec.scope === "system" && spec.user !== undefined ? [`  <key>UserName</key>`, `  ${string(spec.user)}`] : []),
    `  <key>EnvironmentVariables</key>`,
    `  <dict>`,
    ...Object.entries({ NO_COLOR: "1", ...spec.env }).flatMap(([key, value]) => [`    <key>${xmlText(key)}</key>`, `    ${string(value)}`]),
    `  </dict>`,
    `  <key>RunAtLoad</key>`,
    `  <true/>`,
    `  <key>KeepAlive</key>`,
    `  <dict>`,
    `    <key>SuccessfulExit</key>`,
    `    <false/>`,
    `  </dict>`,
    `  <key>ThrottleInterval</key>`,
    `  <integer>5</integer>`,
    `  <key>AbandonProcessGroup</key>`,
    `  <true/>`,
    `  <key>StandardOutPath</key>`,
    `  ${string(spec.log)}`,
    `  <key>StandardErrorPath</key>`,
    `  ${string(spec.log)}`,
    `</dict>`,
    `</plist>`,
    ``
  ].join("\n")
}

/** A command-line word as Windows programs split them (CommandLineToArgvW): quoted if needed, backslashes before a quote doubled. */
const windowsArg = (word: string) =>
  word !== "" && !/[\s"]/.test(word) ? word : `"${word.replace(/(\\*)"/g, '$1$1\\"').replace(/(\\+)$/, "$1$1")}"`

/**
 * Windows passes no environment to a scheduled task or an NSSM service of ours, so the one tuning
 * that matters there goes on node's command line (the malloc one is glibc's).
 */
const windowsNodeFlags = (spec: ServiceSpec) => (spec.env["NODE_OPTIONS"] ?? "").split(" ").filter((flag) => flag !== "")

/**
 * A Task Scheduler task (schtasks /Create /XML): at logon for --user, at boot for --system (run
 * whether anyone is logged on, without a stored password: S4U). No time limit, restarted a minute
 * after a failure (Task Scheduler's shortest), never a second copy. RestartOnFailure has no
 * setting that exempts an exit status: where Task Scheduler counts a daemon that refused to start
 * (EXIT_CANNOT_START) as failed, it tries again once a minute, Count times at most. The NSSM
 * service below stops on it instead.
 */
export const taskSchedulerXml = (spec: ServiceSpec): string => {
  const user = xmlText(spec.user ?? "")
  return [
    `<?xml version="1.0" encoding="UTF-16"?>`,
    `<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">`,
    `  <RegistrationInfo>`,
    `    <Description>llama-orchestrator: supervises the llama-server instances of ${xmlText(spec.home)}</Description>`,
    `    <URI>\\${xmlText(spec.name)}</URI>`,
    `  </RegistrationInfo>`,
    `  <Triggers>`,
    ...(spec.scope === "system"
      ? [`    <BootTrigger>`, `      <Enabled>true</Enabled>`, `    </BootTrigger>`]
      : [`    <LogonTrigger>`, `      <Enabled>true</Enabled>`, `      <UserId>${user}</UserId>`, `    </LogonTrigger>`]),
    `  </Triggers>`,
    `  <Principals>`,
    `    <Principal id="Author">`,
    `      <UserId>${user}</UserId>`,
    `      <LogonType>${spec.scope === "system" ? "S4U" : "InteractiveToken"}</LogonType>`,
    `      <RunLevel>LeastPrivilege</RunLevel>`,
    `    </Principal>`,
    `  </Principals>`,
    `  <Settings>`,
    `    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>`,
    `    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>`,
    `    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>`,
    `    <StartWhenAvailable>true</StartWhenAvailable>`,
    `    <ExecutionTimeLimit>PT0S</ExecutionTimeLimit>`,
    `    <RestartOnFailure>`,
    `      <Interval>PT1M</Interval>`,
    `      <Count>999</Count>`,
    `    </RestartOnFailure>`,
    `    <Enabled>true</Enabled>`,
    `  </Settings>`,
    `  <Actions Context="Author">`,
    `    <Exec>`,
    `      <Command>${xmlText(spec.node)}</Command>`,
    `      <Arguments>${xmlText([...windowsNodeFlags(spec), spec.orch, ...daemonArgs(spec)].map(windowsArg).join(" "))}</Arguments>`,
    `      <WorkingDirectory>${xmlText(spec.home)}</WorkingDirectory>`,
    `    </Exec>`,
    `  </Actions>`,
    `</Task>`,
    ``
  ].join("\r\n")
}

/** A word in a .cmd file: quoted as Windows splits it, and % doubled (cmd expands %NAME% even inside quotes). */
const cmdArg = (word: string) => windowsArg(word).replace(/%/g, "%%")

/**
 * A script that makes the daemon a Windows service with NSSM (https://nssm.cc), run once from an
 * administrator prompt. AppKillProcessTree 0: NSSM ends the whole process tree when it stops a
 * service, and the servers must outlive the daemon, which the next one adopts. AppExit: restart
 * on any exit but EXIT_CANNOT_START, on which the service stops, as systemd's does.
 */
export const nssmScript = (spec: ServiceSpec): string => {
  const set = (...words: Array<string>) => `nssm set ${[spec.name, ...words].map(cmdArg).join(" ")} || exit /b 1`
  return [
    `@echo off`,
    `rem llama-orchestrator: the daemon of ${spec.home.replace(/%/g, "%%")} as a Windows service, with NSSM (https://nssm.cc).`,
    `rem Run it once from an administrator prompt, with nssm.exe on PATH. Undo: nssm remove ${spec.name} confirm`,
    `nssm install ${[spec.name, spec.node, ...windowsNodeFlags(spec), spec.orch, ...daemonArgs(spec)].map(cmdArg).join(" ")} || exit /b 1`,
    set("DisplayName", `llama-orchestrator (${spec.name})`),
    set("Description", `Supervises the llama-server instances of ${spec.home}`),
    set("AppDirectory", spec.home),
    set("Start", "SERVICE_AUTO_START"),
    set("AppExit", "Default", "Restart"),
    set("AppExit", String(EXIT_CANNOT_START), "Exit"),
    set("AppRestartDelay", "5000"),
    set("AppKillProcessTree", "0"),
    set("AppStdout", spec.log),
    set("AppStderr", spec.log),
    set("AppEnvironmentExtra", "NO_COLOR=1"),
    `nssm start ${cmdArg(spec.name)}`,
    ``
  ].join("\r\n")
}
