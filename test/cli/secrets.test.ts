import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { addSim, simHome } from "../support/daemon.js"
import { freePort } from "../support/net.js"
import { orch } from "../support/orch.js"
import { waitFor } from "../support/sim.js"

const SECRETS = ["sk-live-api-key-1111", "hf_token_2222", "sk-openai-3333", "db-password-4444"]

/** Every read command, as text and as JSON where it has --json. */
const READS: ReadonlyArray<ReadonlyArray<string>> = [
  ["ps"], ["ps", "--json"], ["describe", "chat"], ["describe", "chat", "--json"], ["events"], ["events", "--json"],
  ["events", "--type", "ConfigApplied,ProcessSpawned", "--json"], ["replay"], ["replay", "--json"], ["replay", "--verify"],
  ["health", "chat"], ["health", "chat", "--json"], ["health", "--all"], ["logs", "chat"], ["logs", "chat", "--stderr"],
  ["daemon", "status"], ["daemon", "status", "--json"], ["doctor"], ["doctor", "--json"], ["journal", "check"],
  ["config", "validate", "chat"], ["config", "lint"]
]

describe("secrets", () => {
  it("never appear in any read command's output or the daemon's log; the journal and the log are the owner's alone", async () => {
    const home = simHome()
    addSim(home, "chat", await freePort(), ["--api-key", SECRETS[0]!], {
      env: { HF_TOKEN: SECRETS[1]!, OPENAI_API_KEY: SECRETS[2]!, DB_PASSWORD: SECRETS[3]! }
    })
    expect(orch(["up", "chat", "--home", home]).code).toBe(0)
    expect(orch(["restart", "chat", "--home", home]).code).toBe(0)
    await waitFor(async () => (orch(["health", "chat", "--json", "--home", home]).stdout.includes('"healthy"') ? true : undefined), 10_000)

    // The journal does keep the config as applied: that is what makes the hiding worth testing.
    const journal = path.join(home, "journal", "orch.db")
    expect(fs.readFileSync(journal).includes(SECRETS[1]!) || fs.readFileSync(`${journal}-wal`).includes(SECRETS[1]!)).toBe(true)
    for (const args of READS) {
      const run = orch([...args, "--home", home])
      for (const secret of SECRETS) expect(`${run.stdout}${run.stderr}`, `orch ${args.join(" ")}`).not.toContain(secret)
    }
    const log = fs.readFileSync(path.join(home, "journal", "daemon.log"), "utf8")
    for (const secret of SECRETS) expect(log).not.toContain(secret)

    const mode = (file: string) => fs.statSync(path.join(home, "journal", file)).mode & 0o777
    expect(mode(".")).toBe(0o700)
    expect([mode("orch.db"), mode("orch.db-wal"), mode("daemon.log")]).toEqual([0o600, 0o600, 0o600])

    // A journal made before the rule is tightened the next time orch opens it; bits are only taken away.
    fs.chmodSync(path.join(home, "journal"), 0o755)
    fs.chmodSync(journal, 0o644)
    expect(orch(["events", "--home", home]).code).toBe(0)
    expect([mode("."), mode("orch.db")]).toEqual([0o700, 0o600])
  })
})
