/**
 * The last bytes of an answer as it passes through the gateway, from which its usage is read when
 * it ends (domain/usage.ts): `usage` and `timings` come at the end of a JSON body and in a stream's
 * last chunks. The chunks are kept as they came and decoded once, at the end: decoding each chunk
 * as it passed was work done for every token, and split a character cut between two chunks.
 */
export const TAIL_BYTES = 16_384

export interface Tail {
  readonly add: (chunk: Buffer) => void
  /** At least the last TAIL_BYTES of what passed (all of it when shorter), never more than twice that. */
  readonly bytes: () => Buffer
}

export const makeTail = (): Tail => {
  let chunks: Array<Buffer> = []
  let bytes = 0
  return {
    add: (chunk) => {
      chunks.push(chunk)
      bytes += chunk.length
      // Cut back only past twice the tail: each byte is copied about once, not once a chunk.
      if (bytes > 2 * TAIL_BYTES) {
        chunks = [Buffer.concat(chunks, bytes).subarray(bytes - TAIL_BYTES)]
        bytes = TAIL_BYTES
      }
    },
    bytes: () => Buffer.concat(chunks, bytes)
  }
}
