/**
 * Appends batches to a journal until killed, from several fibers at once, and writes every
 * acknowledged batch to a side file: `<tag> <first seq> <size>` per line. The crash test
 * kills it with SIGKILL and checks that every acknowledged batch survived, whole.
 * Usage: node crash-writer.cjs <journal file> <ack file> <tag>
 */
import * as fs from "node:fs"
import { Effect } from "effect"
import { Journal, JournalLive } from "../../src/journal/Journal.js"

const [file, ackFile, tag] = process.argv.slice(2) as [string, string, string]
const ack = fs.openSync(ackFile, "a")

const writer = (fiber: number) =>
  Effect.gen(function* () {
    const journal = yield* Journal
    for (let batch = 0; ; batch++) {
      const size = 1 + ((batch * 7 + fiber * 3) % 25)
      const name = `${tag}-${fiber}-${batch}`
      const seqs = yield* journal.append(
        Array.from({ length: size }, (_, i) => ({
          instance: "crash",
          event: { _tag: "HealthProbed" as const, result: "ok" as const, status: 200, latency_ms: i, path: `${name}/${size}` }
        }))
      )
      fs.writeSync(ack, `${name} ${seqs[0]} ${size}\n`)
    }
  })

Effect.runPromise(Effect.scoped(Effect.provide(Effect.all([0, 1, 2, 3].map(writer), { concurrency: "unbounded" }), JournalLive(file)))).catch(
  (error) => {
    process.stderr.write(`crash-writer: ${String(error)}\n`)
    process.exit(2)
  }
)
