import { useState } from "react"
import { type ApiError, api, type PsRow } from "../api.js"
import { age, dash } from "../format.js"
import { useLoaded, useNow } from "../hooks.js"
import { useEvents } from "../live.js"
import { Failed, Head, Status } from "../parts.js"

type Action = "start" | "stop" | "restart"

/** One row's buttons: stop asks first, as it ends a server someone may be using. */
const Actions = ({ row, onError }: { readonly row: PsRow; readonly onError: (error: ApiError) => void }) => {
  const [asking, setAsking] = useState(false)
  const ask = (action: Action) => {
    setAsking(false)
    api.request(row.name, action).catch(onError)
  }
  if (asking) {
    return (
      <span className="actions" role="group" aria-label={`stop ${row.name}?`}>
        <span>Stop {row.name}?</span>
        <button type="button" className="danger" onClick={() => ask("stop")} autoFocus>
          Yes, stop
        </button>
        <button type="button" onClick={() => setAsking(false)}>
          No
        </button>
      </span>
    )
  }
  return (
    <span className="actions">
      <button type="button" onClick={() => ask("start")} disabled={row.desired === "up"} aria-label={`start ${row.name}`}>
        Start
      </button>
      <button type="button" onClick={() => setAsking(true)} disabled={row.desired !== "up"} aria-label={`stop ${row.name}`}>
        Stop
      </button>
      <button type="button" onClick={() => ask("restart")} aria-label={`restart ${row.name}`}>
        Restart
      </button>
    </span>
  )
}

/** `orch ps`, live: reloaded when an event comes, its ages moving every second. */
export const Instances = () => {
  const [loaded, reload] = useLoaded(api.instances, [])
  const [error, setError] = useState<ApiError | undefined>()
  const now = useNow()
  useEvents(reload)
  if (loaded.state === "loading") return <p>Loading…</p>
  if (loaded.state === "failed") return <Failed error={loaded.error} />
  const rows = loaded.value
  return (
    <section>
      <header className="page-head">
        <h1>Instances</h1>
        <a className="button" href="#/new">
          New instance
        </a>
      </header>
      {error === undefined ? null : <Failed error={error} onClose={() => setError(undefined)} />}
      {rows.length === 0 ? (
        <p>
          No instances yet: <a href="#/new">create one</a>, or run <code>orch init NAME --model FILE</code>.
        </p>
      ) : (
        <div className="scroll">
          <table className="instances">
            <Head columns={["name", "pid", "port", "backend", "device", "model", "status", "health", "uptime", "restarts", ""]} />
            <tbody>
              {rows.map((row) => (
                <tr key={row.name} data-instance={row.name} data-status={row.status}>
                  <th scope="row">
                    <a href={`#/i/${encodeURIComponent(row.name)}`}>{row.name}</a>
                  </th>
                  <td>{dash(row.pid)}</td>
                  <td>{dash(row.port)}</td>
                  <td>{dash(row.backend)}</td>
                  <td>{dash(row.device)}</td>
                  <td className="model">{dash(row.model)}</td>
                  <td>
                    <Status status={row.status} />
                  </td>
                  <td>
                    <Status status={row.health} />
                  </td>
                  <td>{row.started_at === null ? "–" : age(now - row.started_at)}</td>
                  <td>{row.restarts}</td>
                  <td>
                    <Actions row={row} onError={setError} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}
