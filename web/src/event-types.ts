import type { EventType } from "../../src/domain/events.js"

/**
 * Every event type, for the event stream's listeners (each arrives under its own name) and the
 * events page's filter. Written out so the bundle needs no schema library; the type makes a type
 * added to the journal a compile error here until it is listed.
 */
const TYPES: { readonly [T in EventType]: true } = {
  ConfigApplied: true,
  StartRequested: true,
  StopRequested: true,
  RestartRequested: true,
  ProcessSpawned: true,
  SpawnFailed: true,
  ProcessExited: true,
  ProcessStopped: true,
  ProcessAdopted: true,
  ProcessLost: true,
  HealthProbed: true,
  RestartScheduled: true,
  RestartGaveUp: true,
  RequestServed: true,
  DaemonStarted: true,
  DaemonStopped: true,
  ApiListening: true,
  ApiFailed: true,
  LogRotated: true,
  JournalCompacted: true,
  DevicesListed: true
}

export const EVENT_TYPES = Object.keys(TYPES) as ReadonlyArray<EventType>
