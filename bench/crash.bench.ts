/** The crash test's longer run for issue 3: ≥ 500 kill -9s of a group-committing appender. */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { checkAfterKill, runAndKill } from "../test/journal/crash-round.js"
import { report } from "./stats.js"

const ROUNDS = Number(process.env["CRASH_ROUNDS"] ?? 500)

const main = async () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "orch-crash-"))
  const file = path.join(work, "journal", "orch.db")
  const acks = path.join(work, "acks.txt")
  let seed = 4_242
  const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648
  const failures: Array<string> = []
  const start = Date.now()
  let events = 0
  try {
    for (let round = 0; round < ROUNDS; round++) {
      await runAndKill(file, acks, `r${round}`, Math.floor(random() * 200))
      const checked = await checkAfterKill(file, acks)
      events = checked.events
      failures.push(...checked.problems.map((problem) => `round ${round}: ${problem}`))
      if (round % 50 === 49) console.log(`  ${round + 1} rounds, ${events.toLocaleString("en")} events, ${failures.length} problems`)
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true })
  }
  for (const failure of failures.slice(0, 20)) console.log(`  ${failure}`)
  report(`kill -9 rounds with every ack checked (${((Date.now() - start) / 1000).toFixed(0)} s)`, `${ROUNDS} rounds, ${failures.length} problems`, "0 problems", failures.length === 0)
  if (failures.length > 0) process.exitCode = 1
}

void main()
