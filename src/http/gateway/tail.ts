/**
 * The last bytes of an answer as it passes through the gateway, from which its usage is read when
 * it ends (domain/usage.ts): `usage` and `timings` come at the end of a JSON body and in a stream's
 * last chunks. The chunks are kept as they came and decoded once, at the end: decoding each chunk
 * as it passed was work done for every token, and split a character cut between two chunks.
 * Nor are they copied on the way: the oldest are let go once the rest hold TAIL_BYTES (copying the
 * tail together every 16 KiB was a sixth of the gateway's CPU in a stream at full speed,
 * bench/RESULTS.md).
 */
export const TAIL_BYTES = 16_384

export interface Tail {
  readonly add: (chunk: Buffer) => void
  /** At least the last TAIL_BYTES of what passed (all of it when shorter), never more than twice that. */
  readonly bytes: () => Buffer
}

export const makeTail = (): Tail => {
  // A queue: chunks[first] is the oldest kept; the slots before it are let go.
  let chunks: Array<Buffer | undefined> = []
  let first = 0
  let bytes = 0
  return {
    add: (chunk) => {
      chunks.push(chunk)
      bytes += chunk.length
      while (bytes - chunks[first]!.length >= TAIL_BYTES) {
        bytes -= chunks[first]!.length
        chunks[first++] = undefined
      }
      if (first > 1_024) {
        chunks = chunks.slice(first)
        first = 0
      }
    },
    bytes: () => {
      const kept = Buffer.concat(chunks.slice(first) as Array<Buffer>, bytes)
      // One chunk longer than the tail is all that can make it more than twice TAIL_BYTES.
      return kept.length > 2 * TAIL_BYTES ? kept.subarray(kept.length - TAIL_BYTES) : kept
    }
  }
}
