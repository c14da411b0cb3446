import * as fs from "node:fs"
import * as path from "node:path"

// Writes tiny llama-architecture GGUF (v3) models with random F32 weights, so tests and benchmarks
// can run the real llama-server without downloading a model. The layout follows llama.cpp's
// ggml/src/gguf.cpp and the tensor names and shapes src/models/llama.cpp asks for.

export interface TinyModelOptions {
  /** Seed of the weights: the same options always give the same file. */
  readonly seed: number
  readonly nEmbd?: number
  readonly nLayers?: number
  readonly nFf?: number
  readonly nHead?: number
  /** Plain lower-case ASCII words, each a "▁word" token. */
  readonly words?: ReadonlyArray<string>
  readonly contextLength?: number
  readonly name?: string
}

const WORDS = (
  "the of and to in is it you that he was for on are with as his they be at one have this from or had by " +
  "word but what some we can out other were all there when up use your how said an each she which do their " +
  "time if will way about many then them write would like so these her long make thing see him two has look " +
  "more day could go come did number sound no most people my over know water than call first who may down " +
  "side been now find any new work part take get place made live where after back little only round man year " +
  "came show every good me give our under name very through just form sentence great think say help low line " +
  "differ turn cause much mean before move right boy old too same tell does set three want air well also play " +
  "small end put home read hand port large spell add even land here must big high such follow act why ask men " +
  "change went light kind off need house picture try us again animal point mother world near build self earth " +
  "father head stand own page should country found answer school grow study still learn plant cover food sun " +
  "four between state keep eye never last let thought city tree cross farm hard start might story saw far sea " +
  "draw left late run while press close night real life few north open seem together next white children begin " +
  "got walk example ease paper group always music those both mark often letter until mile river car feet care " +
  "second book carry took science eat room friend began idea fish mountain stop once base hear horse cut sure " +
  "watch color face wood main enough plain girl usual young ready above ever red list though feel talk bird soon " +
  "body dog family direct pose leave song measure door product black short numeral class wind question happen " +
  "complete ship area half rock order fire south problem piece told knew pass since top whole king space heard " +
  "best hour better true during hundred five remember step early hold west ground interest reach fast verb sing " +
  "listen six table travel less morning ten simple several vowel toward war lay against pattern slow center love"
).split(" ")

// Token types of llama.cpp's llama_token_type (include/llama.h).
const NORMAL = 1
const UNKNOWN = 2
const CONTROL = 3
const BYTE = 6

// GGUF value types (ggml/src/gguf.cpp: gguf_type).
const U32 = 4
const I32 = 5
const F32 = 6
const BOOL = 7
const STRING = 8
const ARRAY = 9

const ALIGNMENT = 32

type Value =
  | { readonly type: typeof U32 | typeof I32 | typeof F32; readonly value: number }
  | { readonly type: typeof BOOL; readonly value: boolean }
  | { readonly type: typeof STRING; readonly value: string }
  | { readonly type: typeof ARRAY; readonly of: typeof I32 | typeof F32; readonly values: ReadonlyArray<number> }
  | { readonly type: typeof ARRAY; readonly of: typeof STRING; readonly values: ReadonlyArray<string> }

const u32 = (value: number): Value => ({ type: U32, value })
const str = (value: string): Value => ({ type: STRING, value })

/** Little-endian bytes of the header and metadata: small, so they are built in memory. */
class Bytes {
  private readonly parts: Array<Buffer> = []
  length = 0

  push(part: Buffer) {
    this.parts.push(part)
    this.length += part.length
  }
  private scalar(size: number, write: (buffer: Buffer) => unknown) {
    const buffer = Buffer.alloc(size)
    write(buffer)
    this.push(buffer)
  }
  u32(n: number) {
    this.scalar(4, (b) => b.writeUInt32LE(n))
  }
  i32(n: number) {
    this.scalar(4, (b) => b.writeInt32LE(n))
  }
  f32(n: number) {
    this.scalar(4, (b) => b.writeFloatLE(n))
  }
  u64(n: number) {
    this.scalar(8, (b) => b.writeBigUInt64LE(BigInt(n)))
  }
  string(s: string) {
    const utf8 = Buffer.from(s, "utf8")
    this.u64(utf8.length)
    this.push(utf8)
  }
  pad() {
    this.push(Buffer.alloc(padding(this.length)))
  }
  value(v: Value) {
    this.u32(v.type)
    switch (v.type) {
      case U32:
        return this.u32(v.value)
      case I32:
        return this.i32(v.value)
      case F32:
        return this.f32(v.value)
      case BOOL:
        return this.push(Buffer.from([v.value ? 1 : 0]))
      case STRING:
        return this.string(v.value)
      case ARRAY:
        this.u32(v.of)
        this.u64(v.values.length)
        if (v.of === STRING) for (const s of v.values) this.string(s)
        else for (const n of v.values) v.of === I32 ? this.i32(n) : this.f32(n)
    }
  }
  concat() {
    return Buffer.concat(this.parts)
  }
}

const padding = (n: number) => (ALIGNMENT - (n % ALIGNMENT)) % ALIGNMENT

/** xorshift32, inlined in the fill loop: the slow model needs tens of millions of weights fast. */
class Noise {
  private state: number

  constructor(seed: number) {
    // Scramble the seed so that neighbouring seeds differ at once; xorshift must not start at 0.
    this.state = Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1) | 1
  }
  /** Fills `chunk[0..n)` with uniform noise in [-scale, scale). */
  fill(chunk: Float32Array, n: number, scale: number) {
    const k = scale / 2147483648
    let s = this.state
    for (let j = 0; j < n; j++) {
      s ^= s << 13
      s ^= s >>> 17
      s ^= s << 5
      chunk[j] = s * k
    }
    this.state = s
  }
}

interface Tensor {
  readonly name: string
  /** ggml order: the first dimension is the row length. */
  readonly dims: ReadonlyArray<number>
  /** Half-width of the uniform noise; 0 means all ones (the norms). */
  readonly scale: number
}

const vocabulary = (words: ReadonlyArray<string>) => {
  const tokens: Array<string> = ["<unk>", "<s>", "</s>"]
  const types: Array<number> = [UNKNOWN, CONTROL, CONTROL]
  const add = (token: string, type: number) => {
    tokens.push(token)
    types.push(type)
  }
  // llama.cpp's SPM tokenizer spells what it cannot merge as "<0xXX>" byte tokens (failing those, as
  // the single character, and a prompt it cannot spell is a 400): with them any UTF-8 prompt works.
  for (let b = 0; b < 256; b++) add(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`, BYTE)
  add("\n", NORMAL)
  for (let c = 0x20; c < 0x7f; c++) add(String.fromCharCode(c), NORMAL)
  add("▁", NORMAL)
  for (const word of new Set(words)) add(`▁${word}`, NORMAL)
  // SPM merges the pair with the highest score first: longer pieces win.
  const scores = tokens.map((token, id) => (types[id] === NORMAL ? token.length - 1000 : 0))
  // Random weights would sample them all: a byte token leaves invalid UTF-8 that the server answers
  // with a 500 ("does not match the expected peg-native format"), and eos would end answers early.
  // The server's sampler gives these ids a -inf bias (common/sampling.cpp, 2026-07 and newer).
  const suppress = types.flatMap((type, id) => (type === NORMAL ? [] : [id]))
  return { tokens, types, scores, suppress }
}

/** Writes a model to `file` synchronously; the weights are generated and written in chunks. */
export const writeTinyModel = (file: string, options: TinyModelOptions): void => {
  const nEmbd = options.nEmbd ?? 64
  const nLayers = options.nLayers ?? 2
  const nFf = options.nFf ?? 4 * nEmbd
  const nHead = options.nHead ?? 4
  if (nEmbd % nHead !== 0) throw new Error(`nEmbd ${nEmbd} is not a multiple of nHead ${nHead}`)
  const { tokens, types, scores, suppress } = vocabulary(options.words ?? WORDS)
  const nVocab = tokens.length

  const metadata: Array<[string, Value]> = [
    ["general.architecture", str("llama")],
    ["general.name", str(options.name ?? "tiny")],
    ["general.alignment", u32(ALIGNMENT)],
    ["general.file_type", u32(0)], // all F32
    ["llama.vocab_size", u32(nVocab)],
    ["llama.context_length", u32(options.contextLength ?? 2048)],
    ["llama.embedding_length", u32(nEmbd)],
    ["llama.block_count", u32(nLayers)],
    ["llama.feed_forward_length", u32(nFf)],
    ["llama.attention.head_count", u32(nHead)],
    ["llama.attention.head_count_kv", u32(nHead)],
    ["llama.rope.dimension_count", u32(nEmbd / nHead)],
    ["llama.attention.layer_norm_rms_epsilon", { type: F32, value: 1e-5 }],
    ["tokenizer.ggml.model", str("llama")],
    ["tokenizer.ggml.tokens", { type: ARRAY, of: STRING, values: tokens }],
    ["tokenizer.ggml.scores", { type: ARRAY, of: F32, values: scores }],
    ["tokenizer.ggml.token_type", { type: ARRAY, of: I32, values: types }],
    ["tokenizer.ggml.unknown_token_id", u32(0)],
    ["tokenizer.ggml.bos_token_id", u32(1)],
    ["tokenizer.ggml.eos_token_id", u32(2)],
    ["tokenizer.ggml.add_bos_token", { type: BOOL, value: true }],
    ["tokenizer.ggml.suppress_tokens", { type: ARRAY, of: I32, values: suppress }]
  ]

  const fanIn = (n: number) => 1 / Math.sqrt(n)
  const tensors: Array<Tensor> = [
    { name: "token_embd.weight", dims: [nEmbd, nVocab], scale: 1 },
    { name: "output_norm.weight", dims: [nEmbd], scale: 0 },
    { name: "output.weight", dims: [nEmbd, nVocab], scale: 3 * fanIn(nEmbd) }
  ]
  for (let i = 0; i < nLayers; i++) {
    tensors.push(
      { name: `blk.${i}.attn_norm.weight`, dims: [nEmbd], scale: 0 },
      { name: `blk.${i}.attn_q.weight`, dims: [nEmbd, nEmbd], scale: fanIn(nEmbd) },
      { name: `blk.${i}.attn_k.weight`, dims: [nEmbd, nEmbd], scale: fanIn(nEmbd) },
      { name: `blk.${i}.attn_v.weight`, dims: [nEmbd, nEmbd], scale: fanIn(nEmbd) },
      { name: `blk.${i}.attn_output.weight`, dims: [nEmbd, nEmbd], scale: fanIn(nEmbd) },
      { name: `blk.${i}.ffn_norm.weight`, dims: [nEmbd], scale: 0 },
      { name: `blk.${i}.ffn_gate.weight`, dims: [nEmbd, nFf], scale: fanIn(nEmbd) },
      { name: `blk.${i}.ffn_up.weight`, dims: [nEmbd, nFf], scale: fanIn(nEmbd) },
      { name: `blk.${i}.ffn_down.weight`, dims: [nFf, nEmbd], scale: fanIn(nFf) }
    )
  }

  const head = new Bytes()
  head.push(Buffer.from("GGUF"))
  head.u32(3)
  head.u64(tensors.length)
  head.u64(metadata.length)
  for (const [key, value] of metadata) {
    head.string(key)
    head.value(value)
  }
  let offset = 0
  const sizes = tensors.map((t) => 4 * t.dims.reduce((a, b) => a * b, 1))
  tensors.forEach((t, i) => {
    head.string(t.name)
    head.u32(t.dims.length)
    for (const d of t.dims) head.u64(d)
    head.u32(0) // GGML_TYPE_F32
    head.u64(offset)
    offset += sizes[i]! + padding(sizes[i]!)
  })
  head.pad()

  fs.mkdirSync(path.dirname(file), { recursive: true })
  const fd = fs.openSync(file, "w")
  try {
    fs.writeSync(fd, head.concat())
    const noise = new Noise(options.seed)
    const chunk = new Float32Array(1 << 20)
    tensors.forEach((t, i) => {
      let left = sizes[i]! / 4
      while (left > 0) {
        const n = Math.min(left, chunk.length)
        if (t.scale === 0) chunk.fill(1, 0, n)
        else noise.fill(chunk, n, t.scale)
        // Host byte order, which GGUF's little-endian is on every machine that runs these tests.
        fs.writeSync(fd, new Uint8Array(chunk.buffer, 0, 4 * n))
        left -= n
      }
      fs.writeSync(fd, Buffer.alloc(padding(sizes[i]!)))
    })
  } finally {
    fs.closeSync(fd)
  }
}

/** ~0.9 MB: the server is ready some 50–100 ms after spawn, with an RSS of ~17 MB. */
export const TINY: TinyModelOptions = { seed: 1, name: "tiny" }

/** A second tiny model: /v1/models reports other n_embd, n_params and size than for TINY. */
export const OTHER: TinyModelOptions = { seed: 2, nEmbd: 96, nLayers: 3, name: "other" }

/**
 * ~150 MB, nearly all feed-forward weights. Loaded with `--load-mode none` (older spelling:
 * `--no-mmap`, which now logs a deprecation warning) the server answers 503 for ~0.8–1.6 s on two
 * cores; memory-mapped it is ready in ~0.2 s.
 */
export const SLOW: TinyModelOptions = { seed: 3, nFf: 100_000, name: "slow" }

export const MODELS = { tiny: TINY, other: OTHER, slow: SLOW } as const
export type ModelName = keyof typeof MODELS

/** Writes the named models (all three by default) as `<dir>/<name>.gguf`; returns their paths. */
export const makeModels = <Name extends ModelName = ModelName>(
  dir: string,
  names: ReadonlyArray<Name> = Object.keys(MODELS) as Array<Name>
): Record<Name, string> => {
  const files = {} as Record<Name, string>
  for (const name of names) {
    files[name] = path.join(dir, `${name}.gguf`)
    writeTinyModel(files[name], MODELS[name])
  }
  return files
}
