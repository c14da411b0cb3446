import { spawnSync } from "node:child_process"
import { afterEach, describe, expect, it } from "vitest"
import { addSim, simHome } from "../support/daemon.js"
import { freePort } from "../support/net.js"
import { ORCH, orch } from "../support/orch.js"
import { waitFor } from "../support/sim.js"

// A tmux server of this test's own (its own socket), so no one else's sessions are touched.
const SOCKET = `orch-dashboard-test-${process.pid}`
const PROMPT = "shell-ready$"
const tmux = (...args: ReadonlyArray<string>) => spawnSync("tmux", ["-L", SOCKET, ...args], { encoding: "utf8" })
const screen = () => tmux("capture-pane", "-p", "-t", "dash").stdout
const lastLine = (text: string) => text.trimEnd().split("\n").at(-1) ?? ""
const shows = (check: (text: string) => boolean) => waitFor(async () => (check(screen()) ? screen() : undefined), 10_000, 100)

afterEach(() => {
  tmux("kill-server")
})

describe("orch dashboard, in a real terminal (tmux)", () => {
  it("shows the instances and events, h shows help, q and Ctrl-C give the shell back", async () => {
    const home = simHome()
    const port = await freePort()
    addSim(home, "chat", port)
    expect(orch(["up", "chat", "--home", home]).code).toBe(0)

    expect(tmux("new-session", "-d", "-s", "dash", "-x", "110", "-y", "24", "bash --norc --noprofile").status).toBe(0)
    tmux("send-keys", "-t", "dash", `PS1='${PROMPT} '; clear`, "Enter")
    await shows((text) => lastLine(text) === PROMPT)
    tmux("send-keys", "-t", "dash", `${process.execPath} ${ORCH} dashboard --home ${home}`, "Enter")

    const live = await shows((text) => text.includes("newest events") && /│ chat +│ \d+ +│ \d+ +│ cpu/.test(text))
    expect(live).toContain("orch dashboard")
    expect(live).toMatch(/│ chat .*running +│ healthy/)
    expect(live).toMatch(/chat +ProcessSpawned/)
    expect(live).toContain("q quit · r refresh · h help")

    tmux("send-keys", "-t", "dash", "h")
    await shows((text) => text.includes("q, Ctrl-C   quit") && !text.includes("newest events"))
    tmux("send-keys", "-t", "dash", "h")
    await shows((text) => text.includes("newest events"))

    tmux("send-keys", "-t", "dash", "q")
    const back = await shows((text) => lastLine(text) === PROMPT)
    expect(back).not.toContain("newest events")

    // Again, left with Ctrl-C: raw mode takes it as a key, and the terminal is given back all the same.
    tmux("send-keys", "-t", "dash", "clear", "Enter")
    tmux("send-keys", "-t", "dash", `${process.execPath} ${ORCH} dashboard --home ${home}`, "Enter")
    await shows((text) => text.includes("newest events"))
    tmux("send-keys", "-t", "dash", "C-c")
    await shows((text) => lastLine(text) === PROMPT && !text.includes("newest events"))
    // The terminal is sane again: what is typed is echoed (raw mode off).
    tmux("send-keys", "-t", "dash", "echo typed-$((40+2))", "Enter")
    await shows((text) => text.includes("typed-42"))
  })
})
