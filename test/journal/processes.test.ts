import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { tempHome } from "../support/home.js"
import { journalIn, rawDb } from "../support/journal.js"
import { checkAfterKill, runAndKill } from "./crash-round.js"

describe("several writer processes at once", () => {
  it("lose nothing, get strictly increasing seqs, and never see SQLITE_BUSY", async () => {
    const home = tempHome()
    const file = journalIn(home)
    const acks = path.join(home, "acks.txt")
    // Three processes of four fibers each; a writer that met an error would exit by itself and fail runAndKill.
    await Promise.all(["p1", "p2", "p3"].map((tag) => runAndKill(file, acks, tag, 1_500)))
    const { problems, events } = await checkAfterKill(file, acks)
    expect(problems).toEqual([])
    const db = rawDb(file)
    const perWriter = db.prepare("SELECT substr(json_extract(data, '$.path'), 1, 2) AS tag, count(*) AS n FROM events WHERE instance = 'crash' GROUP BY tag ORDER BY tag").all()
    const seqs = db.prepare("SELECT seq FROM events ORDER BY rowid").pluck().all() as Array<number>
    db.close()
    expect(perWriter.map((row) => (row as { tag: string }).tag)).toEqual(["p1", "p2", "p3"])
    expect(seqs.every((seq, i) => i === 0 || seq > seqs[i - 1]!)).toBe(true)
    expect(seqs.length).toBe(events)
  }, 60_000)
})
