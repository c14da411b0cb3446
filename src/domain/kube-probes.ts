import type { InstanceConfig } from "./config.js"

/** Kubernetes counts probe times in whole seconds, at least 1: a 500 ms interval is probed each second. */
const wholeSeconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000))

export interface ProbeTiming {
  readonly periodSeconds: number
  readonly timeoutSeconds: number
  readonly failureThreshold: number
}

/**
 * The startup probe stands for start_period: Kubernetes holds the other probes back until it
 * succeeds, as orch ignores failed probes until the first success, and kills the container once
 * failureThreshold × periodSeconds has passed without one, as orch gives up at start_period's end.
 * Rounding up keeps the product at or above start_period; a week at 10 s is 60,480 failures, far
 * inside the int32 Kubernetes stores it in.
 */
export const startupTiming = (healthcheck: InstanceConfig["healthcheck"]): ProbeTiming => {
  const periodSeconds = wholeSeconds(healthcheck.interval)
  return {
    periodSeconds,
    timeoutSeconds: wholeSeconds(healthcheck.timeout),
    failureThreshold: Math.max(1, Math.ceil(healthcheck.start_period / 1000 / periodSeconds))
  }
}

/** After the start: probed every interval, each given timeout, unhealthy after retries failures in a row. */
export const livenessTiming = (healthcheck: InstanceConfig["healthcheck"]): ProbeTiming => ({
  periodSeconds: wholeSeconds(healthcheck.interval),
  timeoutSeconds: wholeSeconds(healthcheck.timeout),
  failureThreshold: healthcheck.retries
})

/** Readiness drops at the first failure: a request routed to a server that stopped answering is lost. */
export const readinessTiming = (healthcheck: InstanceConfig["healthcheck"]): ProbeTiming => ({
  ...livenessTiming(healthcheck),
  failureThreshold: 1
})
