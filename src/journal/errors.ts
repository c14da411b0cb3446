import { Data } from "effect"

/** The journal file is there but is not one of ours (not SQLite, another app's, damaged). */
export class NotAJournal extends Data.TaggedError("NotAJournal")<{ readonly file: string; readonly reason: string }> {}
/** Written by a newer orch: left untouched rather than guessed at. */
export class NewerJournal extends Data.TaggedError("NewerJournal")<{ readonly file: string; readonly version: number; readonly known: number }> {}
/** The journal cannot be opened or written: folder permissions, disk, locks. */
export class JournalUnavailable extends Data.TaggedError("JournalUnavailable")<{ readonly file: string; readonly reason: string }> {}
/** The journal, or its folder, may not be written (permissions, chattr +i, a read-only mount). */
export class ReadOnlyJournal extends Data.TaggedError("ReadOnlyJournal")<{ readonly file: string; readonly reason: string }> {}
/**
 * The journal's files on disk are no longer the ones this connection opened: its WAL (or the
 * database, or the shared-memory index) was deleted or replaced while in use. SQLite does not
 * notice: it goes on writing into the old, unlinked files, where no one else will read.
 */
export class JournalReplaced extends Data.TaggedError("JournalReplaced")<{ readonly file: string; readonly what: string }> {}
/** No journal yet: nothing has happened in this home. */
export class NoJournal extends Data.TaggedError("NoJournal")<{ readonly file: string }> {}
/** A row that this orch cannot read as an event. */
export class BadEvent extends Data.TaggedError("BadEvent")<{ readonly seq: number; readonly type: string; readonly problem: string }> {}
/** The range asked for was compacted away. */
export class Compacted extends Data.TaggedError("Compacted")<{ readonly until: number; readonly base: number }> {}

export type JournalError = NotAJournal | NewerJournal | ReadOnlyJournal | JournalUnavailable | NoJournal | BadEvent
