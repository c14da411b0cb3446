import { hostPort } from "../../domain/address.js"
import { formatDuration } from "../../domain/duration.js"
import type { Envelope, Event } from "../../domain/events.js"
import { redactEvent } from "../../domain/redact.js"
import { exitText } from "../../domain/ending.js"
import { paint } from "./palette.js"
import { formatTime } from "./time.js"

/** The few words that say what an event was. */
export const summary = (event: Event): string => {
  switch (event._tag) {
    case "ConfigApplied":
      return `config ${event.hash.slice(0, 12)}`
    case "StartRequested":
    case "StopRequested":
      return `by ${event.by}${event.reason === undefined ? "" : ` (${event.reason.replace("_", " ")})`}`
    case "RestartRequested":
      return `by ${event.by}`
    case "ProcessSpawned":
      return `pid ${event.pid}: ${event.argv.join(" ")}`
    case "SpawnFailed":
      return event.config_error ? `${event.reason} (a configuration error: not retried)` : event.reason
    case "ProcessExited":
      return `pid ${event.pid} exited with ${exitText(event, "words")}${event.uptime_ms === null ? "" : ` after ${formatDuration(Math.round(event.uptime_ms / 1000) * 1000)}`}`
    case "ProcessStopped":
      return `pid ${event.pid} stopped (${event.how}${event.code === undefined ? "" : `, exit ${exitText({ code: event.code, signal: event.signal ?? null }, "words")}`}) in ${event.took_ms} ms`
    case "ProcessAdopted":
      return `pid ${event.pid} adopted`
    case "ProcessLost":
      return `pid ${event.pid} lost: ${event.reason}`
    case "HealthProbed":
      return `${event.result}${event.status === null ? "" : ` ${event.status}`} ${event.latency_ms} ms ${event.path}${event.reason === undefined ? "" : `: ${event.reason}`}`
    case "RestartScheduled":
      return `attempt ${event.attempt} in ${formatDuration(event.delay_ms)} (${event.reason})`
    case "RestartGaveUp":
      return `gave up after ${event.attempts} attempts`
    case "RequestServed": {
      const tokens = event.completion_tokens === null ? "" : `, ${event.completion_tokens} tokens${event.tokens_per_second === null ? "" : ` at ${event.tokens_per_second.toFixed(1)}/s`}`
      const waited = event.queued_ms > 0 ? `, waited ${event.queued_ms} ms` : ""
      return `${event.endpoint} ${event.status === 0 ? "no answer" : event.status} in ${event.duration_ms} ms${event.ttft_ms === null ? "" : ` (first token ${event.ttft_ms} ms)`}${tokens}${waited}${event.error === undefined ? "" : `: ${event.error}`}`
    }
    case "DaemonStarted":
      return `pid ${event.pid}, orch ${event.version}`
    case "DaemonStopped":
      return event.reason
    case "ApiListening":
      return `API on ${hostPort(event.host, event.port)}`
    case "ApiFailed":
      return `no API on ${hostPort(event.host, event.port)}: ${event.problem}`
    case "LogRotated":
      return `${event.stream}.log rotated at ${event.size} bytes`
    case "DevicesListed":
      return `${event.devices.length} device${event.devices.length === 1 ? "" : "s"}: ${event.devices.map((device) => device.name).join(", ") || "none"}`
    case "JournalCompacted":
      return `${event.deleted - event.deleted_requests} probes and ${event.deleted_requests} requests before ${formatTime(event.older_than)} deleted; base snapshot at #${event.base_seq}`
  }
}

const BAD: ReadonlySet<string> = new Set(["SpawnFailed", "ProcessExited", "ProcessLost", "RestartGaveUp"])

const colour = (event: Event) => {
  if (BAD.has(event._tag)) return paint.red
  if (event._tag === "HealthProbed") return event.result === "ok" ? paint.green : event.result === "loading" ? paint.yellow : paint.red
  if (event._tag === "RestartScheduled") return paint.yellow
  return (text: string) => text
}

/** One human line: time, seq, instance, type, summary; secrets hidden. */
export const eventLine = (envelope: Envelope) =>
  [
    paint.dim(formatTime(envelope.at)),
    paint.dim(`#${envelope.seq}`.padStart(8)),
    (envelope.instance ?? "(daemon)").padEnd(12),
    colour(envelope.event)(envelope.event._tag.padEnd(17)),
    summary(redactEvent(envelope.event))
  ].join(" ")
