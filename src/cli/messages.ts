import { Match } from "effect"
import type { InstanceExists, InvalidName, NoFreePort, PortTaken, WriteFailed } from "../config/init.js"
import type { BadEvent, Compacted, JournalUnavailable, NewerJournal, NoJournal, NotAJournal } from "../journal/errors.js"
import type { AlreadyRunning, LockUnavailable } from "../runtime/lock.js"
import type { BadOption } from "./errors.js"

/** The one wording of a row that cannot be read, for every command that meets one. */
export const badEventText = (error: BadEvent) => `event #${error.seq} (${error.type}) cannot be read: ${error.problem}`

export type UserError =
  | InvalidName
  | InstanceExists
  | PortTaken
  | NoFreePort
  | WriteFailed
  | BadOption
  | NotAJournal
  | NewerJournal
  | JournalUnavailable
  | NoJournal
  | BadEvent
  | Compacted
  | AlreadyRunning
  | LockUnavailable

const USER_ERROR_TAGS: ReadonlySet<string> = new Set<UserError["_tag"]>([
  "InvalidName",
  "InstanceExists",
  "PortTaken",
  "NoFreePort",
  "WriteFailed",
  "BadOption",
  "NotAJournal",
  "NewerJournal",
  "JournalUnavailable",
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
      hint: "point --home at the right folder, or move that file away and orch starts a new journal"
    }),
    NewerJournal: (error) => ({
      message: `${error.file} was written by a newer orch (journal version ${error.version}; this orch knows up to ${error.known}). It was left as it is.`,
      hint: "upgrade orch to read it"
    }),
    JournalUnavailable: (error) => ({
      message: `cannot use the journal ${error.file}: ${error.reason}`,
      hint: "check that the journal folder exists, is writable, and that the disk has space"
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
