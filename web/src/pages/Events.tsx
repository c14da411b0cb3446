import { useEffect, useState } from "react"
import { type ApiError, api, type EventJson } from "../api.js"
import { EVENT_TYPES } from "../event-types.js"
import { clock } from "../format.js"
import { useEvents } from "../live.js"
import { Failed, Head } from "../parts.js"

const PAGE = 200

interface Filter {
  readonly instance: string
  readonly type: string
}

const queryOf = (filter: Filter, before?: number) =>
  new URLSearchParams({
    limit: String(PAGE),
    ...(filter.instance === "" ? {} : { instance: filter.instance }),
    ...(filter.type === "" ? {} : { type: filter.type }),
    ...(before === undefined ? {} : { before: String(before) })
  })

const fits = (filter: Filter, event: EventJson) => (filter.instance === "" || event.instance === filter.instance) && (filter.type === "" || event.type === filter.type)

/** One filter: "all", or one of its options. */
const Choice = (props: { readonly label: string; readonly value: string; readonly options: ReadonlyArray<string>; readonly onChange: (value: string) => void }) => (
  <label>
    {props.label}{" "}
    <select value={props.value} onChange={(event) => props.onChange(event.target.value)} name={props.label}>
      <option value="">all</option>
      {props.options.map((option) => (
        <option key={option} value={option}>
          {option}
        </option>
      ))}
    </select>
  </label>
)

/**
 * The journal, newest first: live as events come, filtered by instance and type, and paged back
 * as far as it goes.
 */
export const Events = () => {
  const [filter, setFilter] = useState<Filter>({ instance: "", type: "" })
  const [events, setEvents] = useState<ReadonlyArray<EventJson>>([])
  const [more, setMore] = useState(false)
  // One page at a time: a second click while one loads would ask for the same page again.
  const [loading, setLoading] = useState(false)
  const [error, setError] = useState<ApiError | undefined>()
  const [instances, setInstances] = useState<ReadonlyArray<string>>([])
  useEffect(() => {
    api.instances().then((rows) => setInstances(rows.map((row) => row.name)), setError)
  }, [])
  useEffect(() => {
    let gone = false
    setEvents([])
    // Before a seq no journal reaches: the newest page.
    api.events(queryOf(filter, Number.MAX_SAFE_INTEGER)).then((newest) => {
      if (gone) return
      setEvents([...newest.events].reverse())
      setMore(newest.events.length === PAGE)
    }, setError)
    return () => {
      gone = true
    }
  }, [filter])
  useEvents((event) => {
    if (fits(filter, event)) setEvents((shown) => (shown.some((known) => known.seq === event.seq) ? shown : [event, ...shown]))
  })
  const older = () => {
    const oldest = events.at(-1)
    if (oldest === undefined || loading) return
    setLoading(true)
    api.events(queryOf(filter, oldest.seq)).then((page) => {
      setEvents((shown) => [...shown, ...[...page.events].reverse()])
      setMore(page.events.length === PAGE)
    }, setError).finally(() => setLoading(false))
  }
  return (
    <section>
      <header className="page-head">
        <h1>Events</h1>
      </header>
      <form className="toolbar" onSubmit={(event) => event.preventDefault()} aria-label="filter events">
        <Choice label="instance" value={filter.instance} options={instances} onChange={(instance) => setFilter({ ...filter, instance })} />
        <Choice label="type" value={filter.type} options={EVENT_TYPES} onChange={(type) => setFilter({ ...filter, type })} />
      </form>
      {error === undefined ? null : <Failed error={error} onClose={() => setError(undefined)} />}
      <div className="scroll">
        <table className="events">
          <Head columns={["seq", "time", "instance", "type", "data"]} />
          <tbody>
            {events.map((event) => (
              <tr key={event.seq} data-seq={event.seq} data-type={event.type}>
                <td>{event.seq}</td>
                <td>{clock(event.at)}</td>
                <td>{event.instance ?? <span className="muted">(daemon)</span>}</td>
                <td>{event.type}</td>
                <td className="data">
                  <code>{JSON.stringify(event.data)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {more ? (
        <button type="button" onClick={older} disabled={loading} aria-busy={loading}>
          Older events
        </button>
      ) : (
        <p className="muted">{events.length === 0 ? "No events." : "The beginning of the journal."}</p>
      )}
    </section>
  )
}
