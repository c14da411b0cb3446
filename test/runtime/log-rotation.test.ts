import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it, onTestFinished } from "vitest"
import { rotateIfLarge } from "../../src/runtime/log-rotation.js"
import { addSim, servers, simHome } from "../support/daemon.js"
import { tempHome } from "../support/home.js"
import { freePort } from "../support/net.js"
import { ORCH, orch } from "../support/orch.js"
import { waitFor } from "../support/sim.js"

describe("log rotation (copy-truncate)", () => {
  it("leaves a file under the limit alone, and keeps `keep` copies, newest in .1", () => {
    const file = path.join(tempHome(), "stderr.log")
    expect(rotateIfLarge(file, 10, 2)).toBeUndefined()
    fs.writeFileSync(file, "small")
    expect(rotateIfLarge(file, 10, 2)).toBeUndefined()
    expect(fs.existsSync(`${file}.1`)).toBe(false)
    const sizes = ["first round!", "second round", "third round!"].map((round) => {
      fs.appendFileSync(file, round)
      const size = rotateIfLarge(file, 10, 2)
      expect(fs.readFileSync(file, "utf8")).toBe("")
      return size
    })
    expect(sizes).toEqual([17, 12, 12])
    expect(fs.readFileSync(`${file}.1`, "utf8")).toBe("third round!")
    expect(fs.readFileSync(`${file}.2`, "utf8")).toBe("second round")
    expect(fs.existsSync(`${file}.3`)).toBe(false)
  })

  it("rotates a running server's log by size: LogRotated, the old lines in .1, the server writing on at the start of its file", async () => {
    const home = simHome()
    const port = await freePort()
    addSim(home, "chat", port, ["--sim-ignore-sigterm"], { logs: { max_size: 200, keep: 2 } })
    expect(orch(["up", "chat", "--home", home]).code).toBe(0)
    // Someone follows the log from its end while the daemon rotates it under them.
    const follow = spawn(process.execPath, [ORCH, "logs", "chat", "--stderr", "-f", "-n", "0", "--home", home], { stdio: ["ignore", "pipe", "pipe"] })
    let followed = ""
    follow.stdout.on("data", (chunk) => (followed += chunk))
    onTestFinished(() => void follow.kill("SIGKILL"))
    const rotated = await waitFor(async () => {
      const lines = orch(["events", "--type", "LogRotated", "--json", "--home", home]).stdout.trim()
      return lines === "" ? undefined : lines.split("\n").map((line) => JSON.parse(line))
    }, 12_000, 250)
    expect(rotated[0]).toMatchObject({ instance: "chat", type: "LogRotated", data: { stream: "stderr" } })
    const logs = path.join(home, "instances", "chat", "logs")
    expect(fs.readFileSync(path.join(logs, "stderr.log.1"), "utf8")).toContain("llama_server: model loaded")

    // SIGTERM makes this server write one line: it must land at the start of the emptied file, with no hole before it.
    process.kill(servers(home)[0]!.pid, "SIGTERM")
    const after = await waitFor(async () => {
      const text = fs.readFileSync(path.join(logs, "stderr.log"), "utf8")
      return text.includes("ignoring SIGTERM") ? text : undefined
    })
    expect(after).toBe("simulator: ignoring SIGTERM as asked (--sim-ignore-sigterm)\n")
    // The follower saw the new lines once, and nothing it had already passed again.
    await waitFor(async () => (followed.includes("ignoring SIGTERM") ? true : undefined))
    expect(followed).toBe(after)
  })
})
