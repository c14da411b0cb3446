import { formatAge } from "../../src/cli/view/time.js"

/** How long, as `orch ps` says it ("3s", "4m12s", "2h5m"); never less than nothing (the browser's clock may run a little ahead). */
export const age = (ms: number) => formatAge(Math.max(0, ms))

const pad = (n: number, width = 2) => String(n).padStart(width, "0")

/** Local time to the second, as the CLI prints it. */
export const clock = (ms: number) => {
  const d = new Date(ms)
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
}

export const dash = (value: string | number | null | undefined) => (value === null || value === undefined || value === "" ? "–" : String(value))
