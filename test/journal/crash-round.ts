import { spawn } from "node:child_process"
import * as fs from "node:fs"
import Database from "better-sqlite3"
import { Effect } from "effect"
import { Journal, JournalLive } from "../../src/journal/Journal.js"

/** Where the crash writer's bundle lands (built by the test setup and by the bench script). */
export const CRASH_WRITER = "dist-test/crash-writer.cjs"

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Starts the writer, lets it run `aliveMs` after its first ack, kills it with SIGKILL. */
export const runAndKill = async (file: string, acks: string, tag: string, aliveMs: number): Promise<void> => {
  const child = spawn(process.execPath, [CRASH_WRITER, file, acks, tag], { stdio: ["ignore", "ignore", "pipe"] })
  let stderr = ""
  child.stderr.on("data", (chunk) => (stderr += chunk))
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once("exit", (_, signal) => resolve(signal)))
  try {
    const deadline = Date.now() + 10_000
    while (!(fs.existsSync(acks) && fs.readFileSync(acks, "utf8").includes(`${tag}-`))) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the writer acknowledged nothing: ${stderr}`)
      await sleep(10)
    }
    await sleep(aliveMs)
  } finally {
    child.kill("SIGKILL")
  }
  const signal = await exited
  if (signal !== "SIGKILL") throw new Error(`the writer ended by itself (${signal}): ${stderr}`)
}

/**
 * After a kill: the journal opens without manual steps and takes a new append, passes
 * integrity_check, holds every acknowledged batch at its seqs, and shows no batch in part.
 * Returns the problems found (none is a pass) and how many events it held.
 */
export const checkAfterKill = async (file: string, acks: string): Promise<{ readonly problems: ReadonlyArray<string>; readonly events: number }> => {
  const problems: Array<string> = []
  await Effect.runPromise(
    Effect.scoped(
      Effect.provide(
        Effect.flatMap(Journal, (journal) => journal.append([{ instance: "check", event: { _tag: "StartRequested", by: "cli" } }])),
        JournalLive(file)
      )
    )
  )
  const db = new Database(file, { readonly: true })
  try {
    const integrity = db.pragma("integrity_check", { simple: true })
    if (integrity !== "ok") problems.push(`integrity_check: ${String(integrity)}`)
    const rows = db.prepare("SELECT seq, json_extract(data, '$.path') AS batch FROM events WHERE instance = 'crash'").all() as Array<{ seq: number; batch: string }>
    const bySeq = new Map(rows.map((row) => [row.seq, row.batch]))
    const perBatch = new Map<string, number>()
    for (const row of rows) perBatch.set(row.batch, (perBatch.get(row.batch) ?? 0) + 1)
    for (const [batch, count] of perBatch) {
      if (count !== Number(batch.split("/")[1])) problems.push(`batch ${batch} is half-visible: ${count} rows`)
    }
    for (const line of fs.readFileSync(acks, "utf8").trim().split("\n")) {
      const [name, first, size] = line.split(" ")
      for (let i = 0; i < Number(size); i++) {
        if (bySeq.get(Number(first) + i) !== `${name}/${size}`) problems.push(`acknowledged ${name} is missing seq ${Number(first) + i}`)
      }
    }
    return { problems, events: db.prepare("SELECT count(*) FROM events").pluck().get() as number }
  } finally {
    db.close()
  }
}
