import { useEffect, useRef, useState } from "react"
import type { EventJson } from "./api.js"
import { EVENT_TYPES } from "./event-types.js"

/**
 * One connection to the journal's event stream for the whole page. The browser's EventSource
 * reconnects by itself after a lost connection and sends the last id it saw (Last-Event-ID): the
 * daemon goes on from there, so nothing is missed and nothing comes twice, without a reload.
 */
type Listener = (event: EventJson) => void

const listeners = new Set<Listener>()
let source: EventSource | undefined
let connected = false
const statusListeners = new Set<(connected: boolean) => void>()

const setConnected = (value: boolean) => {
  connected = value
  for (const listener of statusListeners) listener(value)
}

const open = () => {
  if (source !== undefined) return
  source = new EventSource("/api/v1/events/stream", { withCredentials: true })
  source.onopen = () => setConnected(true)
  source.onerror = () => setConnected(false)
  const hand = (message: MessageEvent<string>) => {
    const event = JSON.parse(message.data) as EventJson
    for (const listener of listeners) listener(event)
  }
  // Each event arrives under its type's name (`event:`), which only a listener of that name hears.
  for (const type of EVENT_TYPES) source.addEventListener(type, hand)
}

/** Calls `listener` with every event from now on, for as long as the component is mounted. */
export const useEvents = (listener: Listener) => {
  const latest = useRef(listener)
  latest.current = listener
  useEffect(() => {
    const call: Listener = (event) => latest.current(event)
    listeners.add(call)
    open()
    return () => {
      listeners.delete(call)
    }
  }, [])
}

/** Whether the event stream is connected now (it reconnects by itself). */
export const useConnected = () => {
  const [value, setValue] = useState(connected)
  useEffect(() => {
    statusListeners.add(setValue)
    open()
    return () => {
      statusListeners.delete(setValue)
    }
  }, [])
  return value
}
