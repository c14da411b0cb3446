/** Service definitions for running the daemon at boot: text only, written and run by the CLI. */

export interface ServiceSpec {
  /** The unit's name without ".service". */
  readonly name: string
  readonly home: string
  /** node and the orch launcher: absolute paths. */
  readonly node: string
  readonly orch: string
  /** The daemon's own environment (its malloc tuning): see runtime/daemon-env.ts. */
  readonly env: Readonly<Record<string, string>>
  readonly scope: "user" | "system"
  /** For a system unit: the user the daemon runs as. */
  readonly user?: string
}

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
 * daemon adopts them. Restart=on-failure brings a crashed daemon back.
 */
export const systemdUnit = (spec: ServiceSpec): string =>
  [
    "[Unit]",
    `Description=llama-orchestrator: supervises the llama-server instances of ${spec.home}`,
    ...(spec.scope === "system" ? ["After=network-online.target", "Wants=network-online.target"] : []),
    "",
    "[Service]",
    "Type=simple",
    `ExecStart=${[spec.node, spec.orch, "daemon", "run", "--autostart", "--home", spec.home].map(quote).join(" ")}`,
    // WorkingDirectory takes the rest of the line as the path: no quotes.
    `WorkingDirectory=${spec.home}`,
    ...(spec.scope === "system" && spec.user !== undefined ? [`User=${spec.user}`] : []),
    ...Object.entries({ NO_COLOR: "1", ...spec.env }).map(([key, value]) => `Environment=${quote(`${key}=${value}`)}`),
    "Restart=on-failure",
    "RestartSec=5",
    "KillMode=process",
    "",
    "[Install]",
    `WantedBy=${spec.scope === "system" ? "multi-user.target" : "default.target"}`,
    ""
  ].join("\n")
