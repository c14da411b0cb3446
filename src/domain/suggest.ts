import { Option } from "effect"

const normalize = (word: string) => word.toLowerCase().replace(/[^a-z0-9]/g, "")

const distance = (a: string, b: string): number => {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)
      )
    }
    previous = current
  }
  return previous[b.length]!
}

/**
 * The candidate a mistyped word most likely meant: same letters in another case or separator
 * ("contextSize", "context-size" → "context_size"), else the nearest within a third of its length.
 */
export const didYouMean = (word: string, candidates: ReadonlyArray<string>): Option.Option<string> => {
  const exact = candidates.find((candidate) => normalize(candidate) === normalize(word))
  if (exact !== undefined) return Option.some(exact)
  const limit = Math.max(1, Math.floor(word.length / 3))
  let best: { readonly candidate: string; readonly score: number } | undefined
  for (const candidate of candidates) {
    const score = distance(normalize(word), normalize(candidate))
    if (score <= limit && (best === undefined || score < best.score)) best = { candidate, score }
  }
  return Option.fromNullable(best?.candidate)
}
