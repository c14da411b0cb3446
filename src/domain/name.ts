import { Either } from "effect"

/** Instance names are folder names and `--alias` values: keep them shell- and URL-safe. */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/

export const checkName = (name: string): Either.Either<string, string> =>
  NAME_PATTERN.test(name)
    ? Either.right(name)
    : Either.left(
        name.length > 64
          ? `"${name}" is ${name.length} characters long; a name has at most 64`
          : `"${name}" is not a valid instance name: use lowercase letters, digits, "-" and "_", starting with a letter or digit`
      )
