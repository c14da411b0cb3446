import { useEffect, useState } from "react"
import { useConnected } from "./live.js"
import { ConfigForm } from "./pages/ConfigForm.js"
import { Events } from "./pages/Events.js"
import { Instance } from "./pages/Instance.js"
import { Instances } from "./pages/Instances.js"
import { Devices, Doctor } from "./pages/Machine.js"
import { TimeTravel } from "./pages/TimeTravel.js"

/** Pages by the address's #fragment: a link or a reload lands where it was, with no server routes. */
const route = () => window.location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent)

const NAV = [
  ["", "Instances"],
  ["events", "Events"],
  ["time", "Time travel"],
  ["devices", "Devices"],
  ["doctor", "Doctor"]
] as const

const Page = ({ path }: { readonly path: ReadonlyArray<string> }) => {
  switch (path[0]) {
    case "i":
      return <Instance key={path[1]} name={path[1] ?? ""} />
    case "events":
      return <Events />
    case "new":
      return <ConfigForm />
    case "edit":
      return <ConfigForm key={path[1]} name={path[1] ?? ""} />
    case "time":
      return <TimeTravel />
    case "devices":
      return <Devices />
    case "doctor":
      return <Doctor />
    default:
      return <Instances />
  }
}

export const App = () => {
  const [path, setPath] = useState(route)
  const connected = useConnected()
  useEffect(() => {
    const onHash = () => setPath(route())
    window.addEventListener("hashchange", onHash)
    return () => window.removeEventListener("hashchange", onHash)
  }, [])
  return (
    <>
      <nav aria-label="pages">
        <span className="brand">orch</span>
        {NAV.map(([to, label]) => (
          <a key={to} href={`#/${to}`} aria-current={(path[0] ?? "") === to ? "page" : undefined}>
            {label}
          </a>
        ))}
        <span className={`live ${connected ? "on" : "off"}`} role="status">
          {connected ? "live" : "reconnecting…"}
        </span>
      </nav>
      <main>
        <Page path={path} />
      </main>
    </>
  )
}
