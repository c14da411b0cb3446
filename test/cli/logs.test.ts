import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { followFrom, startOfLastLines } from "../../src/app/log-file.js"
import { offsetSince } from "../../src/domain/log-marks.js"
import { rotateIfLarge } from "../../src/runtime/log-rotation.js"
import { addSim, servers, simHome } from "../support/daemon.js"
import { tempHome } from "../support/home.js"
import { freePort } from "../support/net.js"
import { ORCH, hasStackTrace, orch } from "../support/orch.js"
import { waitFor } from "../support/sim.js"

const lastLines = (text: string, lines: number | undefined) => {
  const file = path.join(tempHome(), "log")
  fs.writeFileSync(file, text)
  return text.slice(startOfLastLines(file, Buffer.byteLength(text), lines))
}

describe("reading logs", () => {
  it.each([
    { text: "a\nb\nc\n", lines: 2, tail: "b\nc\n" },
    { text: "a\nb\nc", lines: 2, tail: "b\nc" },
    { text: "a\nb\nc\n", lines: 5, tail: "a\nb\nc\n" },
    { text: "a\nb\nc\n", lines: 0, tail: "" },
    { text: "a\nb\nc\n", lines: undefined, tail: "a\nb\nc\n" },
    { text: "", lines: 3, tail: "" },
    { text: "x".repeat(70_000) + "\nlast\n", lines: 1, tail: "last\n" },
    { text: "first\n" + "y".repeat(70_000) + "\n", lines: 1, tail: "y".repeat(70_000) + "\n" }
  ])("the last $lines lines of a file", ({ text, lines, tail }) => {
    expect(lastLines(text, lines)).toBe(tail)
  })

  it("follows a file through a copy-truncate rotation without losing or repeating a byte", () => {
    const file = path.join(tempHome(), "stderr.log")
    fs.writeFileSync(file, "one\n")
    const follower = followFrom(file, 0)
    expect(follower.next().toString()).toBe("one\n")
    expect(follower.next().toString()).toBe("")
    fs.appendFileSync(file, "two\n")
    rotateIfLarge(file, 1, 3)
    fs.appendFileSync(file, "three\n")
    expect(follower.next().toString()).toBe("two\nthree\n")
    fs.appendFileSync(file, "four\n")
    expect(follower.next().toString()).toBe("four\n")
    rotateIfLarge(file, 1, 3)
    fs.appendFileSync(file, "five\n")
    expect(follower.next().toString()).toBe("five\n")
    expect(fs.readFileSync(`${file}.2`, "utf8")).toBe("one\ntwo\n")
  })

  it("repeats nothing when it looks between a rotation's copy and its truncate", () => {
    const file = path.join(tempHome(), "stderr.log")
    fs.writeFileSync(file, "one\ntwo\n")
    const follower = followFrom(file, fs.statSync(file).size)
    // The daemon copies, then empties: a look in between sees a new copy and a file not yet emptied.
    fs.copyFileSync(file, `${file}.1`)
    fs.appendFileSync(file, "three\n")
    expect(follower.next().toString()).toBe("three\n")
    fs.truncateSync(file, 0)
    fs.appendFileSync(file, "four\n")
    expect(follower.next().toString()).toBe("four\n")
    fs.appendFileSync(file, "five\n")
    expect(follower.next().toString()).toBe("five\n")
  })
})

describe("orch logs", () => {
  it("prints stdout or --stderr, the last N lines with --tail, and keeps printing with --follow", async () => {
    const home = simHome()
    const port = await freePort()
    addSim(home, "chat", port, ["--sim-ignore-sigterm"])
    expect(orch(["up", "chat", "--home", home]).code).toBe(0)
    await waitFor(async () => (orch(["logs", "chat", "--stderr", "--home", home]).stdout.includes("all slots are idle") ? true : undefined))

    const stderr = orch(["logs", "chat", "--stderr", "--tail", "2", "--home", home])
    expect(stderr.code).toBe(0)
    expect(stderr.stdout).toMatch(new RegExp(`^[\\d.]+ I srv  llama_server: listening on http://127\\.0\\.0\\.1:${port}\n[\\d.]+ I srv  update_slots: all slots are idle\n$`))
    const stdout = orch(["logs", "chat", "--home", home])
    expect(stdout.code).toBe(0)
    expect(stdout.stdout).toBe("")

    // --since finds its start by the sizes the daemon marks beside the log every 5 s.
    const marks = path.join(home, "instances", "chat", "logs", "stderr.log.marks")
    await waitFor(async () => (fs.existsSync(marks) ? true : undefined), 8_000, 100)
    expect(orch(["logs", "chat", "--stderr", "--since", "1h", "--home", home]).stdout).toBe(orch(["logs", "chat", "--stderr", "--home", home]).stdout)
    const beforeTerm = new Date().toISOString()
    expect(orch(["logs", "chat", "--stderr", "--since", beforeTerm, "--home", home]).stdout).toBe("")

    // From a time, not from the end (-n 0): a follower that starts late on a busy machine misses nothing.
    const follow = spawn(process.execPath, [ORCH, "logs", "chat", "--stderr", "-f", "--since", beforeTerm, "--home", home], { stdio: ["ignore", "pipe", "pipe"] })
    try {
      let seen = ""
      follow.stdout.on("data", (chunk) => (seen += chunk))
      await new Promise((resolve) => setTimeout(resolve, 500))
      expect(seen).toBe("")
      process.kill(servers(home)[0]!.pid, "SIGTERM")
      await waitFor(async () => (seen.includes("ignoring SIGTERM") ? true : undefined))
      expect(seen).toBe("simulator: ignoring SIGTERM as asked (--sim-ignore-sigterm)\n")
      expect(orch(["logs", "chat", "--stderr", "--since", beforeTerm, "--home", home]).stdout).toBe(seen)
    } finally {
      follow.kill("SIGKILL")
    }
  })

  it("refuses an unknown instance with exit 1 and no stack trace", () => {
    const run = orch(["logs", "nope", "--home", tempHome()])
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('no instance "nope"')
    expect(hasStackTrace(run)).toBe(false)
  })
})

describe("where --since starts", () => {
  const marks = "1000 120\n2000 300\n3000 450\n"
  it.each([
    { since: 500, offset: 0 },
    { since: 1000, offset: 120 },
    { since: 2500, offset: 300 },
    { since: 9000, offset: 450 }
  ])("since $since: byte $offset", ({ since, offset }) => {
    expect(offsetSince(marks, since)).toBe(offset)
  })

  it("reads no marks as the start of the file, and skips a torn last line", () => {
    expect(offsetSince("", 5000)).toBe(0)
    expect(offsetSince("1000 120\n20", 5000)).toBe(120)
  })
})
