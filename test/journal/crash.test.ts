import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { Journal } from "../../src/journal/Journal.js"
import { CRASH_WRITER } from "../support/build.js"
import { tempHome } from "../support/home.js"
import { journalIn, rawDb, withJournal } from "../support/journal.js"
import { waitFor } from "../support/sim.js"

const ROUNDS = 20

/** Starts the writer, lets it run for a random while (after its first ack), kills it with SIGKILL. */
const runAndKill = async (file: string, acks: string, tag: string, aliveMs: number) => {
  const child = spawn(process.execPath, [CRASH_WRITER, file, acks, tag], { stdio: ["ignore", "ignore", "pipe"] })
  let stderr = ""
  child.stderr.on("data", (chunk) => (stderr += chunk))
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once("exit", (_, signal) => resolve(signal)))
  try {
    await waitFor(async () => (fs.existsSync(acks) && fs.readFileSync(acks, "utf8").includes(`${tag}-`) ? true : undefined), 10_000)
    await new Promise((resolve) => setTimeout(resolve, aliveMs))
  } finally {
    child.kill("SIGKILL")
  }
  expect(await exited, stderr).toBe("SIGKILL")
}

describe("crash safety", () => {
  it(`keeps every acknowledged batch, whole, through ${ROUNDS} kill -9s at random moments`, async () => {
    const home = tempHome()
    const file = journalIn(home)
    const acks = path.join(home, "acks.txt")
    // Seeded, so a failure can be replayed with the same kill moments.
    let seed = 20_261_124
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648

    for (let round = 0; round < ROUNDS; round++) {
      await runAndKill(file, acks, `r${round}`, Math.floor(random() * 150))

      // The database opens without manual steps, and appending goes on.
      const last = await withJournal(
        file,
        Effect.flatMap(Journal, (journal) =>
          Effect.zipRight(journal.append([{ instance: "check", event: { _tag: "StartRequested", by: "cli" } }]), journal.lastSeq)
        )
      )
      const db = rawDb(file)
      try {
        expect(db.pragma("integrity_check", { simple: true })).toBe("ok")
        const rows = db.prepare("SELECT seq, json_extract(data, '$.path') AS batch FROM events WHERE instance = 'crash'").all() as Array<{ seq: number; batch: string }>
        const bySeq = new Map(rows.map((row) => [row.seq, row.batch]))
        const perBatch = new Map<string, number>()
        for (const row of rows) perBatch.set(row.batch, (perBatch.get(row.batch) ?? 0) + 1)
        // No batch is half-visible: every batch present has all its rows.
        for (const [batch, count] of perBatch) expect(count, batch).toBe(Number(batch.split("/")[1]))
        // Every acknowledged batch is there, at the seqs it was acknowledged with.
        const acknowledged = fs.readFileSync(acks, "utf8").trim().split("\n").map((line) => line.split(" "))
        for (const [name, first, size] of acknowledged) {
          for (let i = 0; i < Number(size); i++) expect(bySeq.get(Number(first) + i), `${name} seq ${Number(first) + i}`).toBe(`${name}/${size}`)
        }
        expect(last).toBeGreaterThan(rows.length)
      } finally {
        db.close()
      }
    }
  }, 120_000)
})
