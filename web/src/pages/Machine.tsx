import { api } from "../api.js"
import { clock, dash } from "../format.js"
import { useLoaded } from "../hooks.js"
import { Failed, Head } from "../parts.js"

/** `orch devices`: the GPUs as llama-server lists them, from the list the daemon recorded last. */
export const Devices = () => {
  const [loaded] = useLoaded(api.devices, [])
  if (loaded.state === "loading") return <p>Loading…</p>
  if (loaded.state === "failed") return <Failed error={loaded.error} />
  const listed = loaded.value
  return (
    <section>
      <h1>Devices</h1>
      <p className="muted">
        As <code>{listed.binary.join(" ")} --list-devices</code> listed them at {clock(listed.at)}.
      </p>
      {listed.devices.length === 0 ? (
        <p>No GPU device: instances run on the CPU.</p>
      ) : (
        <table>
          <Head columns={["name", "description", "total MiB", "free MiB"]} />
          <tbody>
            {listed.devices.map((device) => (
              <tr key={device.name}>
                <th scope="row">{device.name}</th>
                <td>{device.description}</td>
                <td>{dash(device.total_mib)}</td>
                <td>{dash(device.free_mib)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {listed.unparsed.length === 0 ? null : (
        <>
          <h2>Lines not understood</h2>
          <pre className="config">{listed.unparsed.join("\n")}</pre>
        </>
      )}
    </section>
  )
}

/** `orch doctor`: every check, how it stands, and the fix where it does not hold. */
export const Doctor = () => {
  const [loaded, reload] = useLoaded(api.doctor, [])
  if (loaded.state === "loading") return <p>Loading…</p>
  if (loaded.state === "failed") return <Failed error={loaded.error} />
  return (
    <section>
      <header className="page-head">
        <h1>Doctor</h1>
        <button type="button" onClick={reload}>
          Check again
        </button>
      </header>
      <table className="doctor">
        <Head columns={["check", "status", "found", "fix"]} />
        <tbody>
          {loaded.value.map((check) => (
            <tr key={check.check} data-status={check.status}>
              <th scope="row">{check.check}</th>
              <td>
                <span className={`status check-${check.status}`}>{check.status}</span>
              </td>
              <td className="data">{check.detail}</td>
              <td className="data">{check.fix}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}
