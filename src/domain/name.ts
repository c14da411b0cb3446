import { Either } from "effect"

/** Instance names are folder names and `--alias` values: keep them shell- and URL-safe. */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/

const MAX_LENGTH = 64

// JSON's quoting: a folder name may hold a newline or a terminal escape, which must not reach the screen raw.
export const checkName = (name: string): Either.Either<string, string> =>
  NAME_PATTERN.test(name)
    ? Either.right(name)
    : Either.left(
        name.length > MAX_LENGTH
          ? `${JSON.stringify(name)} is ${name.length} characters long; a name has at most ${MAX_LENGTH}`
          : `${JSON.stringify(name)} is not a valid instance name: use lowercase letters, digits, "-" and "_", starting with a letter or digit`
      )

/**
 * A valid name close to one that is not, and not among `taken`: what to rename a folder to.
 * Accents are dropped rather than the letters that carry them ("Café" → "cafe").
 */
export const suggestName = (name: string, taken: ReadonlySet<string> = new Set()): string => {
  const base =
    name
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, "-")
      .replace(/^[-_]+/, "")
      .slice(0, MAX_LENGTH)
      .replace(/[-_]+$/, "") || "instance"
  if (!taken.has(base)) return base
  for (let n = 2; ; n++) {
    const suffix = `-${n}`
    const candidate = `${base.slice(0, MAX_LENGTH - suffix.length).replace(/[-_]+$/, "")}${suffix}`
    if (!taken.has(candidate)) return candidate
  }
}
