import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { serviceName } from "../../src/domain/service.js"
import { tempHome } from "../support/home.js"
import { ORCH, hasStackTrace, orch } from "../support/orch.js"

/** What systemd itself says of a unit file: `systemd-analyze verify` (it checks the command exists, too). */
const verify = (unit: string, name: string) => {
  const dir = tempHome()
  const file = path.join(dir, `${name}.service`)
  fs.writeFileSync(file, unit)
  return spawnSync("systemd-analyze", ["verify", file], { encoding: "utf8" })
}

describe("orch install-service", () => {
  it.each([
    { home: "/srv/llm", name: "llama-orch-llm" },
    { home: "/home/me/My Models/", name: "llama-orch-my-models" },
    { home: "/", name: "llama-orch-root" }
  ])("names the unit after the home: $home", ({ home, name }) => {
    expect(serviceName(home)).toBe(name)
  })

  it.each(["--user", "--system"])("--print %s gives a unit that systemd-analyze verify accepts", (scope) => {
    const home = path.join(tempHome(), "my models")
    fs.mkdirSync(home)
    const run = orch(["install-service", "--print", scope, "--home", home])
    expect(run.code).toBe(0)
    const name = serviceName(home)
    expect(run.stdout.split("\n")[0]).toMatch(new RegExp(`^# .*/${name}\\.service$`))
    expect(run.stdout).toContain(`ExecStart=${process.execPath} ${ORCH} daemon run --autostart --home "${home}"`)
    expect(run.stdout).toContain("KillMode=process")
    expect(run.stdout).toContain("Restart=on-failure")
    expect(run.stdout).toContain("Environment=MALLOC_MMAP_THRESHOLD_=32768")
    expect(run.stdout).toContain("Environment=NODE_OPTIONS=--max-semi-space-size=4")
    expect(run.stdout).toContain(scope === "--user" ? "WantedBy=default.target" : "WantedBy=multi-user.target")
    const verified = verify(run.stdout, name)
    expect(verified.stderr).toBe("")
    expect(verified.status).toBe(0)
  })

  /** A stand-in `systemctl` first on PATH: it notes each call, and fails when told to. */
  const fakeSystemctl = (fails: boolean) => {
    const bin = tempHome()
    const calls = path.join(bin, "calls")
    fs.writeFileSync(path.join(bin, "systemctl"), `#!/bin/sh\necho "$*" >> '${calls}'\n${fails ? 'echo "Failed to connect to bus: No medium found" >&2\nexit 1' : "exit 0"}\n`, { mode: 0o755 })
    return { PATH: `${bin}:${process.env["PATH"]}`, calls: () => fs.readFileSync(calls, "utf8").trim().split("\n") }
  }

  it("writes the user unit and enables it with systemctl --user; --uninstall disables and removes it", () => {
    const config = tempHome()
    const home = tempHome()
    const name = serviceName(home)
    const file = path.join(config, "systemd", "user", `${name}.service`)
    const systemctl = fakeSystemctl(false)
    const installed = orch(["install-service", "--home", home], { env: { XDG_CONFIG_HOME: config, PATH: systemctl.PATH } })
    expect(installed.code).toBe(0)
    expect(fs.readFileSync(file, "utf8")).toContain(`--home ${home}`)
    expect(installed.stdout).toContain(`${name}.service enabled and started`)
    expect(systemctl.calls()).toEqual(["--user daemon-reload", `--user enable --now ${name}.service`])
    const removed = orch(["install-service", "--uninstall", "--home", home], { env: { XDG_CONFIG_HOME: config, PATH: systemctl.PATH } })
    expect(removed.code).toBe(0)
    expect(fs.existsSync(file)).toBe(false)
    expect(systemctl.calls().slice(2)).toEqual([`--user disable --now ${name}.service`, "--user daemon-reload"])
  })

  it("says what systemctl said, and how to finish by hand, when it cannot enable the unit: exit 1, the unit kept", () => {
    const config = tempHome()
    const home = tempHome()
    const file = path.join(config, "systemd", "user", `${serviceName(home)}.service`)
    const run = orch(["install-service", "--home", home], { env: { XDG_CONFIG_HOME: config, PATH: fakeSystemctl(true).PATH } })
    expect(run.code).toBe(1)
    expect(run.stdout).toContain("systemctl could not enable it: Failed to connect to bus: No medium found")
    expect(run.stdout).toContain(`systemctl --user enable --now ${serviceName(home)}.service`)
    expect(fs.existsSync(file)).toBe(true)
  })

  it("--print --platform macos|windows shows that platform's files; installing them here is refused: exit 1, nothing written", () => {
    const home = tempHome()
    const name = serviceName(home)
    const macos = orch(["install-service", "--print", "--platform", "macos", "--home", home])
    expect(macos.code).toBe(0)
    expect(macos.stdout.split("\n")[0]).toMatch(new RegExp(`^# .*/Library/LaunchAgents/${name}\\.plist$`))
    expect(macos.stdout).toContain(`<string>${home}</string>`)
    const windows = orch(["install-service", "--print", "--platform", "windows", "--system", "--home", home])
    expect(windows.code).toBe(0)
    expect(windows.stdout).toContain(`# ${path.join(home, "service", `${name}.xml`)}`)
    expect(windows.stdout).toContain("<BootTrigger>")
    expect(windows.stdout).toContain(`# ${path.join(home, "service", `${name}-nssm.cmd`)}`)
    const refused = orch(["install-service", "--platform", "windows", "--home", home])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain("windows services are installed on windows; this is linux")
    expect(refused.stderr).toContain("add --print")
    expect(hasStackTrace(refused)).toBe(false)
    expect(fs.existsSync(path.join(home, "service"))).toBe(false)
  })
})
