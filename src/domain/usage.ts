/**
 * What a llama-server answer says of its own work (`usage`, `timings`), read from the answer as it
 * passes through the gateway: never by holding the body. Both objects come at the end (of a JSON
 * body, or in a stream's last chunks): the gateway keeps the answer's tail (http/gateway/tail.ts)
 * and reads them from there when the answer ends.
 */

/**
 * Whether a piece of a streamed answer carries generated text (not the role-only first chunk): a
 * reasoning model's thinking (`reasoning_content`) is generated text too, and comes first.
 */
export const carriesToken = (chunk: string): boolean => /"(content|text|reasoning_content)"\s*:\s*"[^"]/.test(chunk)

/** The object written after the last `"key":` in `text`, if it is whole and parses. */
const lastObject = (text: string, key: string): Record<string, unknown> | undefined => {
  const at = text.lastIndexOf(`"${key}"`)
  if (at < 0) return undefined
  const open = text.indexOf("{", at)
  if (open < 0 || text.slice(at + key.length + 2, open).trim() !== ":") return undefined
  let depth = 0
  let quoted = false
  for (let i = open; i < text.length; i++) {
    const c = text[i]
    if (quoted) {
      if (c === "\\") i++
      else if (c === '"') quoted = false
    } else if (c === '"') quoted = true
    else if (c === "{") depth++
    else if (c === "}" && --depth === 0) {
      try {
        const value: unknown = JSON.parse(text.slice(open, i + 1))
        return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined
      } catch {
        return undefined
      }
    }
  }
  return undefined
}

const count = (value: unknown): number | null => (typeof value === "number" && Number.isInteger(value) && value >= 0 ? value : null)
const rate = (value: unknown): number | null => (typeof value === "number" && Number.isFinite(value) && value >= 0 ? Math.round(value * 100) / 100 : null)

export interface Usage {
  readonly prompt_tokens: number | null
  readonly completion_tokens: number | null
  readonly tokens_per_second: number | null
}

/**
 * The prompt's tokens as `usage` counts them: timings' prompt_n is only those the server
 * processed, cache_n (absent from older servers) those it took from its prompt cache.
 */
const promptOf = (timings: Record<string, unknown> | undefined): number | null => {
  const processed = count(timings?.prompt_n)
  return processed === null ? null : processed + (count(timings?.cache_n) ?? 0)
}

/**
 * Tokens and speed from an answer's tail: OpenAI's `usage` where the server sent one, else
 * llama.cpp's `timings` (prompt_n with cache_n, predicted_n), which also give the generation speed.
 */
export const usageOf = (tail: string): Usage => {
  const usage = lastObject(tail, "usage")
  const timings = lastObject(tail, "timings")
  return {
    prompt_tokens: count(usage?.prompt_tokens) ?? promptOf(timings),
    completion_tokens: count(usage?.completion_tokens) ?? count(timings?.predicted_n),
    tokens_per_second: rate(timings?.predicted_per_second)
  }
}
