import { useMemo, useState } from "react"
import { servedFailed } from "../../../src/domain/served.js"
import { api, type Described, type EventJson } from "../api.js"
import { age, clock, dash } from "../format.js"
import { useLoaded, useNow } from "../hooks.js"
import { useEvents } from "../live.js"
import { Failed, Head, Status } from "../parts.js"
import { Logs } from "./Logs.js"
import { ProbeChart, type ProbePoint } from "./ProbeChart.js"

const HOUR_MS = 60 * 60 * 1000

/** The instance's events of the last hour (its probes among them), newest last. */
const recentEvents = (name: string) => api.events(new URLSearchParams({ instance: name, since: String(Date.now() - HOUR_MS), limit: "10000" })).then((page) => page.events)

const probesOf = (events: ReadonlyArray<EventJson>): ReadonlyArray<ProbePoint> =>
  events.flatMap((event) => (event.type === "HealthProbed" ? [{ at: event.at, latency_ms: event.data.latency_ms, result: event.data.result }] : []))

const Countdown = ({ next, now }: { readonly next: NonNullable<Described["next_restart"]>; readonly now: number }) => (
  <p className="countdown" role="status">
    Restart {next.attempt} ({next.reason}) in <strong>{age(Math.max(0, next.due_at - now))}</strong>, at {clock(next.due_at)}
  </p>
)

const millis = (ms: number | null) => (ms === null ? "–" : `${ms} ms`)

/** The requests the gateway served it, newest first: the fold's last 20, from its describe (reloaded on each event, theirs included). */
const Requests = ({ requests }: { readonly requests: Described["requests"] }) =>
  requests.length === 0 ? (
    <p className="muted">None through the gateway yet.</p>
  ) : (
    <div className="scroll">
      <table className="requests">
        <Head columns={["when", "endpoint", "status", "took", "first token", "tokens in/out", "tok/s", "error"]} />
        <tbody>
          {[...requests].reverse().map((request, index) => (
            <tr key={`${request.at}-${index}`}>
              <td>{clock(request.at)}</td>
              <td>{request.endpoint}</td>
              <td className={servedFailed(request) ? "bad" : undefined}>{request.status === 0 ? "no answer" : request.status}</td>
              <td>{millis(request.duration_ms)}</td>
              <td>{millis(request.ttft_ms)}</td>
              <td>
                {request.prompt_tokens === null && request.completion_tokens === null ? "–" : `${dash(request.prompt_tokens)}/${dash(request.completion_tokens)}`}
              </td>
              <td>{request.tokens_per_second === null ? "–" : request.tokens_per_second.toFixed(1)}</td>
              <td>{request.error ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )

/** One instance: what `orch describe` says, its probes over the last hour, restarts, requests, events and logs, live. */
export const Instance = ({ name }: { readonly name: string }) => {
  const [described, reloadDescribed] = useLoaded(() => api.instance(name), [name])
  const [history, reloadHistory] = useLoaded(() => recentEvents(name), [name])
  const [live, setLive] = useState<ReadonlyArray<EventJson>>([])
  const now = useNow()
  useEvents((event) => {
    if (event.instance !== name) return
    reloadDescribed()
    setLive((events) => [...events, event].slice(-2_000))
  })
  const events = useMemo(() => {
    const stored = history.state === "ready" ? history.value : []
    const newest = stored.at(-1)?.seq ?? 0
    return [...stored, ...live.filter((event) => event.seq > newest)]
  }, [history, live])
  if (described.state === "loading") return <p>Loading…</p>
  if (described.state === "failed") return <Failed error={described.error} />
  const d = described.value
  return (
    <section>
      <header className="page-head">
        <h1>{d.name}</h1>
        <span className="actions">
          <a className="button" href={`#/edit/${encodeURIComponent(d.name)}`}>
            Edit config
          </a>
        </span>
      </header>
      <dl className="facts">
        <dt>status</dt>
        <dd>
          <Status status={d.status} /> <span className="muted">(asked: {dash(d.desired)})</span>
        </dd>
        <dt>health</dt>
        <dd>
          <Status status={d.health} />
          {d.health_since === null ? null : <span className="muted"> since {clock(d.health_since)} ({age(now - d.health_since)})</span>}
        </dd>
        <dt>pid</dt>
        <dd>{dash(d.pid)}</dd>
        <dt>uptime</dt>
        <dd>{d.started_at === null ? "–" : age(now - d.started_at)}</dd>
        <dt>restarts</dt>
        <dd>
          {d.restarts} in all, {d.restarts_in_a_row} in a row{d.max_retries === null ? "" : ` (gives up after ${d.max_retries})`}
        </dd>
        {d.last_exit === null ? null : (
          <>
            <dt>last exit</dt>
            <dd>
              {clock(d.last_exit.at)}: {d.last_exit.signal ?? `code ${dash(d.last_exit.code)}`}
            </dd>
          </>
        )}
        {d.last_error === null ? null : (
          <>
            <dt>last error</dt>
            <dd className="bad">{d.last_error}</dd>
          </>
        )}
      </dl>
      {d.next_restart === null ? null : <Countdown next={d.next_restart} now={now} />}
      <h2>Probes, the last hour</h2>
      {history.state === "failed" ? <Failed error={history.error} /> : <ProbeChart probes={probesOf(events)} now={now} />}
      <h2>Restarts</h2>
      {d.restart_history.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <div className="scroll">
          <table className="restarts">
            <Head columns={["when", "attempt", "why", "how it ended", "delay"]} />
            <tbody>
              {[...d.restart_history].reverse().map((restart) => (
                <tr key={restart.at}>
                  <td>{clock(restart.at)}</td>
                  <td>{restart.attempt}</td>
                  <td>{restart.reason}</td>
                  <td>{restart.exit === null ? "–" : (restart.exit.signal ?? `code ${dash(restart.exit.code)}`)}</td>
                  <td>{age(restart.delay_ms)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2>Requests</h2>
      <Requests requests={d.requests} />
      <h2>Config in effect</h2>
      <pre className="config">{JSON.stringify(d.config, null, 2)}</pre>
      <h2>Events, the last hour</h2>
      <EventList events={events} onReload={reloadHistory} />
      <h2>Logs</h2>
      <Logs name={d.name} />
    </section>
  )
}

const EventList = ({ events, onReload }: { readonly events: ReadonlyArray<EventJson>; readonly onReload: () => void }) => {
  const shown = events.filter((event) => event.type !== "HealthProbed").slice(-200).reverse()
  return shown.length === 0 ? (
    <p className="muted">
      None but probes. <button type="button" onClick={onReload}>Reload</button>
    </p>
  ) : (
    <ol className="event-list">
      {shown.map((event) => (
        <li key={event.seq}>
          <span className="muted">{clock(event.at)}</span> <span className="muted">#{event.seq}</span> <strong>{event.type}</strong>{" "}
          <code>{JSON.stringify(event.data)}</code>
        </li>
      ))}
    </ol>
  )
}
