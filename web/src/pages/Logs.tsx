import { useEffect, useState } from "react"

type Stream = "stderr" | "stdout"

/** How many lines the page keeps: a server that logs a lot would otherwise grow it without end. */
const KEEP = 5_000

/**
 * An instance's log, its last lines and then, while following, each new one (the API's log
 * stream); the search filters the lines loaded.
 */
export const Logs = ({ name }: { readonly name: string }) => {
  const [stream, setStream] = useState<Stream>("stderr")
  const [follow, setFollow] = useState(true)
  const [lines, setLines] = useState<ReadonlyArray<string>>([])
  const [search, setSearch] = useState("")
  useEffect(() => {
    setLines([])
    const url = `/api/v1/instances/${encodeURIComponent(name)}/logs/stream?stream=${stream}&tail=200`
    if (!follow) {
      let gone = false
      fetch(`/api/v1/instances/${encodeURIComponent(name)}/logs?stream=${stream}&tail=200`, { credentials: "same-origin" })
        .then((answer) => (answer.ok ? (answer.json() as Promise<{ lines: ReadonlyArray<string> }>) : { lines: [] }))
        .then((body) => {
          if (!gone) setLines(body.lines)
        })
      return () => {
        gone = true
      }
    }
    const source = new EventSource(url, { withCredentials: true })
    source.onmessage = (message: MessageEvent<string>) => setLines((kept) => [...kept, message.data].slice(-KEEP))
    return () => source.close()
  }, [name, stream, follow])
  const needle = search.toLowerCase()
  const shown = needle === "" ? lines : lines.filter((line) => line.toLowerCase().includes(needle))
  return (
    <div className="logs">
      <div className="toolbar">
        <label>
          log{" "}
          <select value={stream} onChange={(event) => setStream(event.target.value as Stream)}>
            <option value="stderr">stderr</option>
            <option value="stdout">stdout</option>
          </select>
        </label>
        <label>
          <input type="checkbox" checked={follow} onChange={(event) => setFollow(event.target.checked)} /> follow
        </label>
        <label>
          search <input type="search" value={search} onChange={(event) => setSearch(event.target.value)} placeholder="in the lines loaded" />
        </label>
        <span className="muted">
          {shown.length} of {lines.length} lines
        </span>
      </div>
      <pre className="log-lines" aria-label={`${name} ${stream}`} aria-live="off">
        {shown.join("\n")}
      </pre>
    </div>
  )
}
