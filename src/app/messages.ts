import { Match } from "effect"
import type { BadHome } from "../config/home.js"
import type { InstanceExists, InvalidName, NoFreePort, PortTaken, WriteFailed } from "../config/init.js"
import type { BadEvent, Compacted, JournalReplaced, JournalUnavailable, NewerJournal, NoJournal, NotAJournal, ReadOnlyJournal } from "../journal/errors.js"
import type { AlreadyRunning, LockUnavailable } from "../runtime/lock.js"
import type { BadOption } from "./errors.js"

/** The one wording of a row that cannot be read, for every command that meets one. */
export const badEventText = (error: BadEvent) => `event #${error.seq} (${error.type}) cannot be read: ${error.problem}`

export type UserError =
  | BadHome
  | InvalidName
  | InstanceExists
  | PortTaken
  | NoFreePort
  | WriteFailed
  | BadOption
  | NotAJournal
  | NewerJournal
  | ReadOnlyJournal
  | JournalUnavailable
  | JournalReplaced
  | NoJournal
  | BadEvent
  | Compacted
  | AlreadyRunning
  | LockUnavailable

const USER_ERROR_TAGS: ReadonlySet<string> = new Set<UserError["_tag"]>([
  "BadHome",
  "InvalidName",
  "InstanceExists",
  "PortTaken",
  "NoFreePort",
  "WriteFailed",
  "BadOption",
  "NotAJournal",
  "NewerJournal",
  "ReadOnlyJournal",
  "JournalUnavailable",
  "JournalReplaced",
  "NoJournal",
  "BadEvent",
  "Compacted",
  "AlreadyRunning",
  "LockUnavailable"
])

export const isUserError = (error: unknown): error is UserError =>
  typeof error === "object" && error !== null && USER_ERROR_TAGS.has((error as { readonly _tag?: string })._tag ?? "")

export interface UserMessage {
  readonly message: string
  readonly hint: string
}

/** Every expected failure, in an operator's words: what is wrong and what to do. */
export const userMessage: (error: UserError) => UserMessage = Match.type<UserError>().pipe(
  Match.tagsExhaustive({
    BadHome: (error) => ({ message: `${error.source}: ${error.problem}`, hint: error.hint }),
    InvalidName: (error) => ({ message: error.reason, hint: 'for example "qwen-7b" or "coder_2"' }),
    InstanceExists: (error) => ({
      message: `instance "${error.name}" already exists (${error.file})`,
      hint: "choose another name, or edit that config instead"
    }),
    PortTaken: (error) => ({ message: `port ${error.port} is already used by ${error.by}`, hint: "leave out --port to get a free one" }),
    NoFreePort: (error) => ({ message: `no free port found in ${error.tried} tries from 8080`, hint: "pass --port N" }),
    WriteFailed: (error) => ({ message: `cannot write ${error.file} (${error.reason})`, hint: "check the home folder's permissions and free space" }),
    BadOption: (error) => ({ message: `${error.option}: ${error.problem}`, hint: error.hint }),
    NotAJournal: (error) => ({
      message: `${error.file} is not an orch journal: ${error.reason}. It was left as it is.`,
      hint: "point --home at the right folder, or move it aside and orch starts a new journal there"
    }),
    NewerJournal: (error) => ({
      message: `${error.file} was written by a newer orch (journal version ${error.version}; this orch knows up to ${error.known}). It was left as it is.`,
      hint: "upgrade orch to read it"
    }),
    ReadOnlyJournal: (error) => ({
      message: `the journal ${error.file} is read-only: ${error.reason}. It was left as it is.`,
      hint: "make the file and its folder writable again (chmod u+w, chattr -i): even to read it, SQLite writes beside the journal (its -wal and -shm); or work on a copy of the home"
    }),
    JournalUnavailable: (error) => ({
      message: `cannot use the journal ${error.file}: ${error.reason}`,
      hint: "check that the journal folder exists, is writable, and that the disk has space"
    }),
    JournalReplaced: (error) => ({
      message: `the journal ${error.file} changed on disk while in use: ${error.what}. Nothing more was read from or written to it.`,
      hint: "never delete or move a journal's -wal and -shm files while orch runs; `orch ps` and `orch daemon status` show what runs now"
    }),
    NoJournal: (error) => ({ message: `there is no journal at ${error.file}`, hint: "check --home; the journal appears with the first event" }),
    BadEvent: (error) => ({
      message: badEventText(error),
      hint: "run `orch journal check`; an event from a newer orch needs a newer orch"
    }),
    AlreadyRunning: (error) => ({ message: `a daemon already runs for this home (pid ${error.pid ?? "unknown"})`, hint: "`orch daemon status` shows it" }),
    LockUnavailable: (error) => ({ message: `cannot take the daemon lock ${error.file}: ${error.reason}`, hint: "check that the journal folder is writable" }),
    Compacted: (error) => ({
      message: `events up to #${error.until} were compacted; the journal replays from #${error.base} on`,
      hint: `use --until ${error.base} or later`
    })
  })
)
