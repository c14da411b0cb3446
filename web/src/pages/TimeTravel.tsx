import { useEffect, useState } from "react"
import { type ApiError, api, type Replayed } from "../api.js"
import { age, clock, dash } from "../format.js"
import { Failed, Head, Status } from "../parts.js"

/** A datetime-local input's value for a time: local, to the second. */
const localInput = (ms: number) => {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000)
  return d.toISOString().slice(0, 19)
}

/**
 * Every instance as it was at a moment: the journal folded up to a seq (the slider) or a time (the
 * field), as `orch replay --until` folds it.
 */
export const TimeTravel = () => {
  const [until, setUntil] = useState<{ readonly seq: number } | { readonly at: number } | undefined>()
  const [replayed, setReplayed] = useState<Replayed | undefined>()
  const [error, setError] = useState<ApiError | undefined>()
  useEffect(() => {
    let gone = false
    // The slider moves many seqs a second: only where it rests is asked for.
    const timer = setTimeout(() => {
      api.replay(until ?? { at: Date.now() }).then((value) => {
        if (gone) return
        setReplayed(value)
        setError(undefined)
      }, setError)
    }, until === undefined ? 0 : 150)
    return () => {
      gone = true
      clearTimeout(timer)
    }
  }, [until])
  return (
    <section>
      <header className="page-head">
        <h1>Time travel</h1>
      </header>
      {replayed === undefined ? (
        error === undefined ? <p>Loading…</p> : <Failed error={error} />
      ) : (
        <>
          <form className="toolbar" onSubmit={(event) => event.preventDefault()} aria-label="the moment">
            <label className="grow">
              seq{" "}
              <input
                type="range"
                min={Math.max(1, replayed.first_seq)}
                max={Math.max(1, replayed.last_seq)}
                value={replayed.seq}
                onChange={(event) => setUntil({ seq: Number(event.target.value) })}
                aria-valuetext={`event ${replayed.seq} of ${replayed.last_seq}`}
              />
            </label>
            <label>
              seq <input type="number" name="seq" min={0} max={replayed.last_seq} value={replayed.seq} onChange={(event) => setUntil({ seq: Number(event.target.value) })} />
            </label>
            <label>
              time{" "}
              <input
                type="datetime-local"
                name="time"
                step={1}
                value={replayed.at === null ? "" : localInput(replayed.at)}
                onChange={(event) => {
                  const at = new Date(event.target.value).getTime()
                  if (Number.isFinite(at)) setUntil({ at })
                }}
              />
            </label>
          </form>
          {error === undefined ? null : <Failed error={error} onClose={() => setError(undefined)} />}
          <p role="status">
            As it was after event <strong>#{replayed.seq}</strong>
            {replayed.at === null ? "" : `, ${clock(replayed.at)}`} (the journal holds {replayed.last_seq}).
          </p>
          <div className="scroll">
            <table className="then">
              <Head columns={["name", "pid", "port", "status", "health", "uptime", "restarts"]} />
              <tbody>
                {replayed.instances.map((row) => (
                  <tr key={row.name} data-instance={row.name} data-status={row.status} data-health={row.health ?? ""}>
                    <th scope="row">{row.name}</th>
                    <td>{dash(row.pid)}</td>
                    <td>{dash(row.port)}</td>
                    <td>
                      <Status status={row.status} />
                    </td>
                    <td>
                      <Status status={row.health} />
                    </td>
                    <td>{row.uptime_ms === null ? "–" : age(row.uptime_ms)}</td>
                    <td>{row.restarts}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  )
}
