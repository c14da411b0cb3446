import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it, onTestFinished } from "vitest"
import { addSim, servers, simHome } from "../support/daemon.js"
import { freePorts } from "../support/net.js"
import { ORCH, hasStackTrace, orch } from "../support/orch.js"
import { waitFor } from "../support/sim.js"

const startRequests = (home: string) =>
  orch(["events", "--type", "StartRequested", "--json", "--home", home]).stdout.trim().split("\n").filter((line) => line !== "").map((line) => JSON.parse(line))

describe("orch daemon autostart", () => {
  it("starts the daemon and asks for each listed instance in order, by autostart, with the delays asked for", async () => {
    const home = simHome()
    const [a, b, c] = await freePorts(3)
    addSim(home, "a", a!)
    addSim(home, "b", b!)
    addSim(home, "c", c!)
    fs.writeFileSync(path.join(home, "autostart.json"), JSON.stringify({ instances: ["a", { name: "c", order: 1 }, { name: "b", delay: "400ms" }], delay: "200ms" }))
    const run = orch(["daemon", "autostart", "--home", home])
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/started the daemon/)
    const requests = startRequests(home)
    expect(requests.map((event) => [event.instance, event.data.by])).toEqual([["c", "autostart"], ["a", "autostart"], ["b", "autostart"]])
    expect(requests[1].at - requests[0].at).toBeGreaterThanOrEqual(200)
    expect(requests[2].at - requests[1].at).toBeGreaterThanOrEqual(400)
    await waitFor(async () => (servers(home).length === 3 ? true : undefined), 10_000)
  })

  it("takes a bare list of names, the simplest way to write it", async () => {
    const home = simHome()
    const [a, b] = await freePorts(2)
    addSim(home, "a", a!)
    addSim(home, "b", b!)
    fs.writeFileSync(path.join(home, "autostart.json"), JSON.stringify(["b", "a"]))
    expect(orch(["daemon", "autostart", "--home", home]).code).toBe(0)
    expect(startRequests(home).map((event) => event.instance)).toEqual(["b", "a"])
  })

  it.each([["a name alone", '"a"'], ["a number", "7"], ["null", "null"], ["a list of numbers", "[1, 2]"]])(
    "says what the file must look like when it is %s, in plain words",
    (_, text) => {
      const home = simHome()
      fs.writeFileSync(path.join(home, "autostart.json"), text)
      const run = orch(["daemon", "autostart", "--home", home])
      expect(run.code).toBe(1)
      expect(run.stdout).toContain("autostart.json")
      expect(run.stdout).toMatch(/must be a list of instance names or an object|is not an instance name|must be|Expected/)
      expect(run.stdout).not.toMatch(/Encoded side|Expected Struct|orch config schema/)
      expect(hasStackTrace(run)).toBe(false)
      expect(fs.existsSync(path.join(home, "journal", "orch.db"))).toBe(false)
    }
  )

  it("records nothing when autostart.json is wrong or names a stranger: every problem at once, exit 1", async () => {
    const home = simHome()
    const [a] = await freePorts(1)
    addSim(home, "a", a!)
    fs.writeFileSync(path.join(home, "autostart.json"), JSON.stringify({ instances: ["a", "ghost", { name: "a", dela: "1s" }], delay: "soon" }))
    const run = orch(["daemon", "autostart", "--home", home])
    expect(run.code).toBe(1)
    expect(run.stdout).toContain('did you mean "delay"?')
    expect(run.stdout).toContain('"soon" is not a duration')
    expect(run.stdout).not.toContain("Expected string")
    expect(hasStackTrace(run)).toBe(false)
    expect(fs.existsSync(path.join(home, "journal", "orch.db"))).toBe(false)

    fs.writeFileSync(path.join(home, "autostart.json"), JSON.stringify({ instances: ["a", "ghost"] }))
    const stranger = orch(["daemon", "autostart", "--home", home])
    expect(stranger.code).toBe(1)
    expect(stranger.stdout).toContain('there is no instance "ghost" in this home')
    expect(fs.existsSync(path.join(home, "journal", "orch.db"))).toBe(false)
  })

  it("does the same from `orch daemon run --autostart` in the foreground, as a service manager runs it", async () => {
    const home = simHome()
    const [a, b] = await freePorts(2)
    addSim(home, "a", a!)
    addSim(home, "b", b!)
    fs.writeFileSync(path.join(home, "autostart.json"), JSON.stringify({ instances: ["b", "a"] }))
    const daemon = spawn(process.execPath, [ORCH, "daemon", "run", "--autostart", "--home", home], { stdio: "ignore" })
    onTestFinished(() => void daemon.kill("SIGKILL"))
    await waitFor(async () => (servers(home).length === 2 ? true : undefined), 10_000)
    expect(startRequests(home).map((event) => [event.instance, event.data.by])).toEqual([["b", "autostart"], ["a", "autostart"]])
  })
})
