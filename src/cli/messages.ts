import { Match } from "effect"
import type { InstanceExists, InvalidName, NoFreePort, PortTaken, WriteFailed } from "../config/init.js"

export type UserError = InvalidName | InstanceExists | PortTaken | NoFreePort | WriteFailed

const USER_ERROR_TAGS: ReadonlySet<string> = new Set<UserError["_tag"]>([
  "InvalidName",
  "InstanceExists",
  "PortTaken",
  "NoFreePort",
  "WriteFailed"
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
    WriteFailed: (error) => ({ message: `cannot write ${error.file} (${error.reason})`, hint: "check the home folder's permissions and free space" })
  })
)
