import * as fs from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import type { EventSourceMessage } from "eventsource-parser"
import { fetch, request } from "undici"
import { describe, expect, it } from "vitest"
import type { NewEvent } from "../../src/domain/events.js"
import { Journal } from "../../src/journal/Journal.js"
import { type JournalLine, addSim, daemonPid, simHome, types } from "../support/daemon.js"
import { journalIn, rawDb, withJournal } from "../support/journal.js"
import { freePorts } from "../support/net.js"
import { orch } from "../support/orch.js"
import { type EventStream, apiOf, lastId, openEvents, reached, rssMb } from "../support/sse.js"

/**
 * GET /api/v1/events/stream against a real daemon over real HTTP: the journal as server-sent
 * events, `id:` its seq, `event:` its type, `data:` the line `orch events --json` prints.
 */

const ok = (args: ReadonlyArray<string>) => {
  const run = orch(args)
  expect(run.code, `orch ${args.join(" ")}: ${run.stdout}${run.stderr}`).toBe(0)
  return run
}

const newestSeq = (home: string) => types(home).at(-1)!.seq

/** The stream's events, each checked against the journal line of its seq. */
const expectSameAsJournal = (messages: ReadonlyArray<EventSourceMessage>, journal: ReadonlyArray<JournalLine>) => {
  const bySeq = new Map(journal.map((line) => [line.seq, line]))
  for (const message of messages) {
    const line = bySeq.get(Number(message.id))
    expect(line, `seq ${message.id} is in the journal`).toBeDefined()
    expect(message.event).toBe(line!.type)
    expect(JSON.parse(message.data)).toEqual(line)
  }
}

const seqs = (messages: ReadonlyArray<EventSourceMessage>) => messages.map((message) => Number(message.id))
const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from + 1) }, (_, index) => from + index)

/** A home whose daemon runs the simulator as `a`, healthy: a journal that grows by itself (probes). */
const runningHome = async () => {
  const home = simHome()
  const [port] = await freePorts(1)
  addSim(home, "a", port!)
  ok(["up", "a", "--home", home])
  return { home, api: await apiOf(home) }
}

describe("the event stream", () => {
  it("from ?after=0: every event so far, in seq order, as `orch events --json` prints each, with SSE headers and `: connected` first", async () => {
    const { home, api } = await runningHome()
    const journal = types(home)
    const stream = await openEvents(api, "?after=0")
    expect(stream.status).toBe(200)
    expect(stream.headers.get("content-type")).toMatch(/^text\/event-stream\b/)
    expect(stream.headers.get("x-accel-buffering")).toBe("no")
    expect(stream.headers.get("cache-control")).toBe("no-cache")
    await stream.until(reached(stream, journal.at(-1)!.seq))
    expect(stream.items[0]).toEqual({ kind: "comment", text: "connected" })
    // The journal grows as the stream is read (probes): what it had then is the stream's start.
    expect(seqs(stream.messages).slice(0, journal.length)).toEqual(journal.map((line) => line.seq))
    expect(seqs(stream.messages)).toEqual(range(1, lastId(stream)))
    expectSameAsJournal(stream.messages, types(home))
    // `orch up` records its request, then starts the daemon, which says where it listens.
    const said = stream.messages.map((message) => message.event)
    expect(said.slice(0, 2)).toEqual(["ConfigApplied", "StartRequested"])
    expect(said.indexOf("DaemonStarted")).toBeGreaterThan(1)
    expect(said.indexOf("ApiListening")).toBeGreaterThan(said.indexOf("DaemonStarted"))
  })

  it("without ?after: `: connected` at once, then only what is appended from then on, by another process, as it happens", async () => {
    const home = simHome()
    const [port] = await freePorts(1)
    addSim(home, "a", port!)
    ok(["daemon", "start", "--home", home])
    const api = await apiOf(home)
    const stream = await openEvents(api)
    // Nothing to send yet: the comment comes by itself, not with the first event.
    await stream.until(() => (stream.items.length > 0 ? true : undefined), 5_000)
    expect(stream.items).toEqual([{ kind: "comment", text: "connected" }])
    const before = newestSeq(home)

    ok(["up", "a", "--no-wait", "--home", home])
    const requested = await stream.until(() => stream.messages.find((message) => message.event === "StartRequested"), 5_000)
    // It started at the newest seq: nothing older came.
    expect(Number(stream.messages[0]!.id)).toBe(before + 1)
    expect(JSON.parse(requested.data)).toMatchObject({ instance: "a", type: "StartRequested", data: { by: "cli" } })
    await stream.until(() => stream.messages.find((message) => message.event === "ProcessSpawned"), 10_000)

    ok(["down", "a", "--no-wait", "--home", home])
    await stream.until(() => stream.messages.find((message) => message.event === "StopRequested"), 5_000)
    await stream.until(() => stream.messages.find((message) => message.event === "ProcessStopped"), 10_000)
    expect(seqs(stream.messages)).toEqual(range(before + 1, lastId(stream)))
    expectSameAsJournal(stream.messages, types(home))
  })

  it("reconnected with Last-Event-ID: N, goes on at N+1, with no gap and no duplicate up to the newest", async () => {
    const { home, api } = await runningHome()
    const first = await openEvents(api, "?after=0")
    await first.until(reached(first, newestSeq(home)))
    first.close()
    const seen = lastId(first)
    expect(seqs(first.messages)).toEqual(range(1, seen))

    // While nobody listens: a restart, and the probes that go on.
    ok(["restart", "a", "--home", home])
    const newest = newestSeq(home)
    expect(newest).toBeGreaterThan(seen)
    // As an EventSource reconnects: the same URL (?after=0), and the id it saw last, which wins.
    const second = await openEvents(api, "?after=0", { "last-event-id": String(seen) })
    await second.until(reached(second, newest))
    expect(seqs(second.messages)).toEqual(range(seen + 1, lastId(second)))
    expectSameAsJournal(second.messages, types(home))
    expect(second.messages.map((message) => message.event)).toEqual(expect.arrayContaining(["RestartRequested", "ProcessStopped", "ProcessSpawned"]))
  })

  it("across a daemon restart: resumed on the new daemon's port, DaemonStopped, DaemonStarted and ApiListening come through, no gap, no duplicate", async () => {
    const { home, api } = await runningHome()
    const first = await openEvents(api, "?after=0")
    await first.until(reached(first, newestSeq(home)))
    const pid = daemonPid(home)

    ok(["daemon", "stop", "--home", home])
    // The stopping daemon ends its streams: the client sees the end, not a hang.
    await first.until(() => (first.ended() ? true : undefined), 5_000)
    const seen = lastId(first)
    expect(seqs(first.messages)).toEqual(range(1, seen))

    ok(["daemon", "start", "--home", home])
    expect(daemonPid(home)).not.toBe(pid)
    const again = await apiOf(home)
    const newest = newestSeq(home)
    const second = await openEvents(again, "", { "last-event-id": String(seen) })
    await second.until(reached(second, newest))
    expect(seqs(second.messages)).toEqual(range(seen + 1, lastId(second)))
    expectSameAsJournal(second.messages, types(home))
    const all = [...first.messages, ...second.messages]
    const daemonEvents = all.map((message) => message.event).filter((type) => type === "DaemonStarted" || type === "DaemonStopped" || type === "ApiListening")
    expect(daemonEvents).toEqual(["DaemonStarted", "ApiListening", "DaemonStopped", "DaemonStarted", "ApiListening"])
    const listening = JSON.parse(second.messages.find((message) => message.event === "ApiListening")!.data)
    expect(again.url).toBe(`http://127.0.0.1:${listening.data.port}/api/v1`)
  }, 40_000)

  it("?instance=a&type=HealthProbed,ProcessSpawned: only those, and all of those", async () => {
    const home = simHome()
    const [portA, portB] = await freePorts(2)
    addSim(home, "a", portA!)
    addSim(home, "b", portB!)
    ok(["up", "a", "b", "--home", home])
    const api = await apiOf(home)
    const stream = await openEvents(api, "?after=0&instance=a&type=HealthProbed,ProcessSpawned")
    const wanted = () => types(home, "a").filter((line) => line.type === "HealthProbed" || line.type === "ProcessSpawned")
    const expected = wanted()
    expect(types(home, "b").some((line) => line.type === "HealthProbed")).toBe(true)
    await stream.until(reached(stream, expected.at(-1)!.seq))
    const got = stream.messages.map((message) => JSON.parse(message.data) as JournalLine)
    expect(got.every((line) => line.instance === "a" && (line.type === "HealthProbed" || line.type === "ProcessSpawned"))).toBe(true)
    expect(got.slice(0, expected.length)).toEqual(expected)
    expect(stream.messages.map((message) => message.event)).toEqual(got.map((line) => line.type))
  })

  it("a type that is not one is a 400 that says so; no token, a 401", async () => {
    const { api } = await runningHome()
    const answer = await fetch(`${api.url}/events/stream?type=HealthProbe`, { headers: { authorization: `Bearer ${api.token}` }, signal: AbortSignal.timeout(5_000) })
    expect(answer.status).toBe(400)
    expect(await answer.json()).toMatchObject({ _tag: "BadRequest", message: '"HealthProbe" is not an event type', hint: "did you mean HealthProbed?" })
    const anonymous = await fetch(`${api.url}/events/stream?after=0`, { signal: AbortSignal.timeout(5_000) })
    expect(anonymous.status).toBe(401)
    expect(anonymous.headers.get("content-type")).not.toMatch(/event-stream/)
    await anonymous.body?.cancel()
  })

  it("as a browser's EventSource asks (the cookie the token URL gave, no header): the stream; a wrong cookie, a foreign Host or a repeated parameter: the API's refusal", async () => {
    const { api } = await runningHome()
    // undici's request, not fetch: fetch will not send a Host of the caller's choosing.
    const ask = (query: string, headers: Record<string, string>) => request(`${api.url}/events/stream${query}`, { headers, headersTimeout: 5_000 })
    const browser = await ask("?after=0", { cookie: `orch_token=${api.token}`, accept: "text/event-stream" })
    expect(browser.statusCode).toBe(200)
    expect(browser.headers["content-type"]).toBe("text/event-stream")
    expect(browser.headers["x-content-type-options"]).toBe("nosniff")
    expect(browser.headers["access-control-allow-origin"]).toBeUndefined()
    for await (const chunk of browser.body) {
      expect(String(chunk)).toMatch(/^: connected\n\n/)
      break
    }
    browser.body.destroy()
    const refused = async (query: string, headers: Record<string, string>) => {
      const answer = await ask(query, headers)
      return [answer.statusCode, ((await answer.body.json()) as { _tag: string })._tag]
    }
    expect(await refused("", { cookie: "orch_token=not-the-token" })).toEqual([401, "Unauthorized"])
    expect(await refused("", { authorization: `Bearer ${api.token}`, host: "evil.example:80" })).toEqual([403, "Forbidden"])
    expect(await refused("?after=1&after=2", { authorization: `Bearer ${api.token}` })).toEqual([400, "BadRequest"])
  })
})

/** ~1.2 KB each (a long probe path): the stream is larger than the memory bound, so a daemon that buffered it would fail. */
const BULK = 60_000
const bulkEvent = (i: number): NewEvent => ({
  instance: "bulk",
  event: { _tag: "HealthProbed", result: "ok", status: 200, latency_ms: i % 17, path: `/health?pad=${"x".repeat(1_000)}` }
})

describe("a slow client", () => {
  it("is held back, not buffered for: the daemon's memory stays bounded while it pauses, and it then gets every seq once, in order", async () => {
    const home = simHome()
    fs.mkdirSync(path.join(home, "journal"), { recursive: true })
    await withJournal(
      journalIn(home),
      Effect.gen(function* () {
        const journal = yield* Journal
        for (let i = 0; i < BULK; i += 5_000) yield* journal.append(Array.from({ length: 5_000 }, (_, k) => bulkEvent(i + k)))
      })
    )
    ok(["daemon", "start", "--home", home])
    const api = await apiOf(home)
    // Too many for `orch events --json` through a pipe here: the journal itself says how many.
    const db = rawDb(journalIn(home))
    const newest = db.prepare("SELECT max(seq) FROM events").pluck().get() as number
    db.close()
    expect(newest).toBe(BULK + 2)
    const pid = daemonPid(home)!
    const before = rssMb(pid)

    const stream: EventStream = await openEvents(api, "?after=0")
    await stream.until(() => (stream.messages.length > 0 ? true : undefined))
    stream.pause()
    let most = before
    // Sampled for 3 s while nothing is read: a daemon that ignored back-pressure would write it all out now.
    const deadline = Date.now() + 3_000
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      most = Math.max(most, rssMb(pid))
    }
    const readWhilePaused = stream.messages.length
    expect(readWhilePaused).toBeLessThan(BULK / 2)
    expect(most - before).toBeLessThan(50)

    stream.resume()
    await stream.until(reached(stream, newest), 60_000)
    expect(stream.bytes()).toBeGreaterThan(60 * 1024 * 1024)
    const got = seqs(stream.messages)
    expect(got.length).toBeGreaterThanOrEqual(newest)
    expect(got.every((seq, index) => seq === index + 1)).toBe(true)
  }, 90_000)
})
