import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { tempHome } from "../support/home.js"
import { journalIn } from "../support/journal.js"
import { checkAfterKill, runAndKill } from "./crash-round.js"

const ROUNDS = 20

describe("crash safety", () => {
  it(`keeps every acknowledged batch, whole, through ${ROUNDS} kill -9s at random moments`, async () => {
    const home = tempHome()
    const file = journalIn(home)
    const acks = path.join(home, "acks.txt")
    // Seeded, so a failure can be replayed with the same kill moments.
    let seed = 20_261_124
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648
    let previous = 0
    for (let round = 0; round < ROUNDS; round++) {
      await runAndKill(file, acks, `r${round}`, Math.floor(random() * 150))
      const { problems, events } = await checkAfterKill(file, acks)
      expect(problems, `round ${round}`).toEqual([])
      expect(events).toBeGreaterThan(previous)
      previous = events
    }
  }, 120_000)
})
