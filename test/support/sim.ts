import { type ChildProcess, spawn } from "node:child_process"
import * as path from "node:path"
import { Agent, type RequestInit as UndiciRequestInit, fetch } from "undici"
import { afterEach } from "vitest"

export const SIM = path.resolve("test/sim/llama-server.mjs")
export const TINY_MODEL = path.resolve("test/sim/tiny.gguf")

export interface Sim {
  readonly child: ChildProcess
  readonly stderr: () => string
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>
}

const running: Array<ChildProcess> = []

afterEach(() => {
  for (const child of running.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
  }
})

/** Starts the simulator as a real child process; it is killed after the test if still alive. */
export const startSim = (args: ReadonlyArray<string>): Sim => {
  const child = spawn(process.execPath, [SIM, ...args], { stdio: ["ignore", "pipe", "pipe"] })
  running.push(child)
  let stderr = ""
  child.stderr!.on("data", (chunk) => (stderr += chunk))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal }))
  )
  return { child, stderr: () => stderr, exited }
}

export interface Answer {
  readonly status: number
  readonly body: string
}

/**
 * A connection per request: tests kill and restart servers on the same port, and a kept-alive
 * connection to the one that died would fail the next request sent on it.
 */
const noKeepAlive = new Agent({ pipelining: 0 })

/** One HTTP request to 127.0.0.1; a refused connection or a timeout is an error. */
export const request = async (port: number, pathname: string, init: UndiciRequestInit & { readonly timeoutMs?: number } = {}): Promise<Answer> => {
  const response = await fetch(`http://127.0.0.1:${port}${pathname}`, {
    ...init,
    dispatcher: noKeepAlive,
    signal: AbortSignal.timeout(init.timeoutMs ?? 2_000)
  })
  return { status: response.status, body: await response.text() }
}

/** Polls until `check` holds, at most `limitMs`: the bound every wait on a real process needs. */
export const waitFor = async <A>(check: () => Promise<A | undefined>, limitMs = 5_000, everyMs = 25): Promise<A> => {
  const deadline = Date.now() + limitMs
  for (;;) {
    const value = await check().catch(() => undefined)
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`still not so after ${limitMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
}

/** Waits until the simulator answers /health with `status`, returning the body. */
export const healthIs = (port: number, status: number, limitMs?: number) =>
  waitFor(async () => {
    const answer = await request(port, "/health")
    return answer.status === status ? answer.body : undefined
  }, limitMs)
