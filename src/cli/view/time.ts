import { isShowableTime } from "../../domain/time.js"

const pad = (n: number, width = 2) => String(n).padStart(width, "0")

/** Local time to the millisecond, as an operator reads logs; a time from a broken row says so. */
export const formatTime = (ms: number) => {
  if (!isShowableTime(ms)) return `(invalid time ${ms})`
  const d = new Date(ms)
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
}

/** "3s", "4m12s", "2h5m", "3d4h": how long, the two largest units. */
export const formatAge = (ms: number) => {
  if (!isShowableTime(ms)) return `(invalid age ${ms} ms)`
  const s = Math.floor(ms / 1000)
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m${s % 60 > 0 ? `${s % 60}s` : ""}`
  const h = Math.floor(m / 60)
  if (h < 24) return `${h}h${m % 60 > 0 ? `${m % 60}m` : ""}`
  return `${Math.floor(h / 24)}d${h % 24 > 0 ? `${h % 24}h` : ""}`
}
