import type { ApiError } from "./api.js"

/** A status or health word, coloured by what it means (and said in words, never by colour alone). */
export const Status = ({ status }: { readonly status: string | null }) => (
  <span className={`status status-${status ?? "none"}`}>{status ?? "–"}</span>
)

/** What the API refused, in its words: the message, and the hint that says what to do. */
export const Failed = ({ error, onClose }: { readonly error: ApiError; readonly onClose?: () => void }) =>
  error.status === 401 ? (
    <NoToken />
  ) : (
    <div className="failed" role="alert">
      <strong>{error.message}</strong>
      {error.hint === "" ? null : <p>{error.hint}</p>}
      {onClose === undefined ? null : (
        <button type="button" onClick={onClose}>
          Dismiss
        </button>
      )}
    </div>
  )

/** The console without the daemon's token: what lets this browser in. */
export const NoToken = () => (
  <div className="failed no-token" role="alert">
    <strong>This console needs the daemon's token.</strong>
    <p>
      Run <code>orch ui</code> on the machine the daemon runs on and open the URL it prints (or run <code>orch ui --open</code>): it lets this
      browser in, and the token stays in a cookie only this daemon reads.
    </p>
  </div>
)

/** A table's header row: its columns' names. */
export const Head = ({ columns }: { readonly columns: ReadonlyArray<string> }) => (
  <thead>
    <tr>
      {columns.map((column) => (
        <th key={column} scope="col">
          {column}
        </th>
      ))}
    </tr>
  </thead>
)
