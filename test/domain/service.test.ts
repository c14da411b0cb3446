import { XMLParser, XMLValidator } from "fast-xml-parser"
import { describe, expect, it } from "vitest"
import { EXIT_CANNOT_START, type ServiceSpec, launchdPlist, nssmScript, systemdUnit, taskSchedulerXml } from "../../src/domain/service.js"

const env = { LLAMA_ORCH_DAEMON_ONLY: "MALLOC_MMAP_THRESHOLD_,NODE_OPTIONS", MALLOC_MMAP_THRESHOLD_: "32768", NODE_OPTIONS: "--max-semi-space-size=4" }
const unix = (scope: "user" | "system"): ServiceSpec => ({
  name: "llama-orch-llm-models",
  home: "/home/ann/LLM & models",
  node: "/usr/local/bin/node",
  orch: "/opt/llama-orchestrator/dist/orch.cjs",
  env,
  log: "/home/ann/LLM & models/journal/daemon.log",
  scope,
  user: "ann"
})
const windows = (scope: "user" | "system"): ServiceSpec => ({
  name: "llama-orch-llm-models",
  home: "C:\\Users\\ann\\LLM models",
  node: "C:\\Program Files\\nodejs\\node.exe",
  orch: "C:\\Users\\ann\\llama-orchestrator\\dist\\orch.cjs",
  env,
  log: "C:\\Users\\ann\\LLM models\\journal\\daemon.log",
  scope,
  user: "ann"
})

/** A plist's top dict as a plain object (keys and values alternate, which a generic XML parser does not pair). */
const plistObject = (text: string): Record<string, unknown> => {
  type Node = Record<string, Array<Node>> & { "#text"?: string }
  const parsed = new XMLParser({ preserveOrder: true, ignoreDeclaration: true, parseTagValue: false }).parse(text) as Array<Node>
  const value = (node: Node): unknown => {
    const [tag] = Object.keys(node).filter((key) => key !== ":@")
    const children = node[tag!] ?? []
    switch (tag) {
      case "string":
      case "key":
        return children[0]?.["#text"] ?? ""
      case "integer":
        return Number(children[0]?.["#text"])
      case "true":
        return true
      case "false":
        return false
      case "array":
        return children.map(value)
      case "dict": {
        const object: Record<string, unknown> = {}
        for (let i = 0; i < children.length; i += 2) object[value(children[i]!) as string] = value(children[i + 1]!)
        return object
      }
      default:
        throw new Error(`unexpected <${tag}>`)
    }
  }
  const plist = parsed.find((node) => "plist" in node)!
  return value(plist["plist"]![0]!) as Record<string, unknown>
}

/** How a Windows program splits its command line (CommandLineToArgvW), for the cases we write. */
const windowsSplit = (line: string) =>
  [...line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((match) => (match[1] !== undefined ? match[1].replace(/\\(["\\])/g, "$1") : match[2]!))

describe("service files", () => {
  it.each([
    ["systemd-user.service", () => systemdUnit(unix("user"))],
    ["launchd-user.plist", () => launchdPlist(unix("user"))],
    ["launchd-system.plist", () => launchdPlist(unix("system"))],
    ["task-user.xml", () => taskSchedulerXml(windows("user"))],
    ["task-system.xml", () => taskSchedulerXml(windows("system"))],
    ["nssm.cmd", () => nssmScript(windows("system"))]
  ])("%s matches its golden file", async (name, make) => {
    await expect(make()).toMatchFileSnapshot(`../golden/service/${name}`)
  })

  it.each(["user", "system"] as const)("the systemd unit (%s) restarts a daemon that failed, but not one that refused to start", (scope) => {
    const lines = systemdUnit(unix(scope)).split("\n")
    expect(lines).toContain("Restart=on-failure")
    expect(lines).toContain(`RestartPreventExitStatus=${EXIT_CANNOT_START}`)
  })

  it.each(["user", "system"] as const)("the launchd plist (%s) parses, runs the daemon with --autostart, and leaves the servers running when it stops", (scope) => {
    const text = launchdPlist(unix(scope))
    expect(XMLValidator.validate(text)).toBe(true)
    const plist = plistObject(text)
    expect(plist["Label"]).toBe("llama-orch-llm-models")
    expect(plist["ProgramArguments"]).toEqual(["/usr/local/bin/node", "/opt/llama-orchestrator/dist/orch.cjs", "daemon", "run", "--autostart", "--home", "/home/ann/LLM & models"])
    expect(plist["WorkingDirectory"]).toBe("/home/ann/LLM & models")
    expect(plist["EnvironmentVariables"]).toEqual({ NO_COLOR: "1", ...env })
    expect(plist).toMatchObject({ RunAtLoad: true, KeepAlive: { SuccessfulExit: false }, AbandonProcessGroup: true, StandardErrorPath: "/home/ann/LLM & models/journal/daemon.log" })
    expect(plist["UserName"]).toBe(scope === "system" ? "ann" : undefined)
  })

  it.each(["user", "system"] as const)("the Task Scheduler XML (%s) parses and names node, the launcher and the daemon's arguments", (scope) => {
    const text = taskSchedulerXml(windows(scope))
    expect(XMLValidator.validate(text)).toBe(true)
    const task = new XMLParser({ parseTagValue: false, ignoreAttributes: false }).parse(text)["Task"]
    expect(task["@_xmlns"]).toBe("http://schemas.microsoft.com/windows/2004/02/mit/task")
    expect(task.Actions.Exec.Command).toBe("C:\\Program Files\\nodejs\\node.exe")
    expect(windowsSplit(task.Actions.Exec.Arguments)).toEqual([
      "--max-semi-space-size=4", "C:\\Users\\ann\\llama-orchestrator\\dist\\orch.cjs", "daemon", "run", "--autostart", "--home", "C:\\Users\\ann\\LLM models"
    ])
    expect(task.Actions.Exec.WorkingDirectory).toBe("C:\\Users\\ann\\LLM models")
    expect(Object.keys(task.Triggers)).toEqual([scope === "system" ? "BootTrigger" : "LogonTrigger"])
    expect(task.Principals.Principal.LogonType).toBe(scope === "system" ? "S4U" : "InteractiveToken")
    expect(task.Settings).toMatchObject({ ExecutionTimeLimit: "PT0S", MultipleInstancesPolicy: "IgnoreNew", RestartOnFailure: { Interval: "PT1M" } })
  })

  it("the NSSM script installs the daemon as an automatic service that restarts it and leaves the servers running", () => {
    const lines = nssmScript(windows("system")).split("\r\n")
    expect(lines).toContain(
      'nssm install llama-orch-llm-models "C:\\Program Files\\nodejs\\node.exe" --max-semi-space-size=4 C:\\Users\\ann\\llama-orchestrator\\dist\\orch.cjs daemon run --autostart --home "C:\\Users\\ann\\LLM models" || exit /b 1'
    )
    for (const setting of ["Start SERVICE_AUTO_START", "AppExit Default Restart", `AppExit ${EXIT_CANNOT_START} Exit`, "AppKillProcessTree 0", 'AppDirectory "C:\\Users\\ann\\LLM models"']) {
      expect(lines).toContain(`nssm set llama-orch-llm-models ${setting} || exit /b 1`)
    }
  })

  it("doubles % in the NSSM script, which cmd would expand even inside quotes", () => {
    const script = nssmScript({ ...windows("user"), home: "D:\\100% local" })
    expect(script).toContain('--home "D:\\100%% local"')
    expect(script).not.toMatch(/[^%]%[^%]/)
  })
})
