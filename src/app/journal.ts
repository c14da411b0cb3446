import { Effect } from "effect"
import { journalFile } from "../config/home.js"
import { type Journal, JournalExisting, JournalLive } from "../journal/Journal.js"

/**
 * Runs a command against the home's journal. Reading commands never create one: a home where
 * nothing has happened yet answers NoJournal, which each command turns into its own "nothing yet".
 */
export const withJournal =
  (home: string, mode: "read" | "write") =>
  <A, E, R>(effect: Effect.Effect<A, E, R | Journal>) =>
    Effect.scoped(Effect.provide(effect, mode === "write" ? JournalLive(journalFile(home)) : JournalExisting(journalFile(home))))
