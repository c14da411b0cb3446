import { useCallback, useEffect, useRef, useState } from "react"
import { ApiError } from "./api.js"

export type Loaded<A> = { readonly state: "loading" } | { readonly state: "ready"; readonly value: A } | { readonly state: "failed"; readonly error: ApiError }

const asApiError = (error: unknown) => (error instanceof ApiError ? error : new ApiError(0, "Unreachable", `the daemon does not answer: ${String(error)}`, "is it running? `orch daemon status` says"))

/**
 * What `load` gives, loaded now and again on `reload()`; reloads asked for while one runs are
 * folded into one more, so a burst of events costs two requests, not one each.
 */
export const useLoaded = <A>(load: () => Promise<A>, keys: ReadonlyArray<unknown>) => {
  const [loaded, setLoaded] = useState<Loaded<A>>({ state: "loading" })
  const running = useRef(false)
  const again = useRef(false)
  const latest = useRef(load)
  latest.current = load
  const reload = useCallback(() => {
    if (running.current) {
      again.current = true
      return
    }
    running.current = true
    latest
      .current()
      .then((value) => setLoaded({ state: "ready", value }), (error: unknown) => setLoaded({ state: "failed", error: asApiError(error) }))
      .finally(() => {
        running.current = false
        if (again.current) {
          again.current = false
          reload()
        }
      })
  }, [])
  // Loaded again when what it loads changes (the caller's keys: an instance's name, a filter).
  useEffect(reload, keys)
  return [loaded, reload] as const
}

/** The time now, every second: for ages and countdowns that move on their own. */
export const useNow = (everyMs = 1_000) => {
  const [now, setNow] = useState(Date.now())
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs)
    return () => clearInterval(timer)
  }, [everyMs])
  return now
}
