/** "3s", "4m12s", "2h5m", "3d4h": how long, the two largest units (as `orch ps` says it). */
export const age = (ms: number) => {
  const s = Math.max(0, Math.floor(ms / 1000))
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m${s % 60 > 0 ? `${s % 60}s` : ""}`
  const h = Math.floor(m / 60)
  if (h < 24) return `${h}h${m % 60 > 0 ? `${m % 60}m` : ""}`
  return `${Math.floor(h / 24)}d${h % 24 > 0 ? `${h % 24}h` : ""}`
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0")

/** Local time to the second, as the CLI prints it. */
export const clock = (ms: number) => {
  const d = new Date(ms)
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
}

export const dash = (value: string | number | null | undefined) => (value === null || value === undefined || value === "" ? "–" : String(value))
