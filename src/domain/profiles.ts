import type { Backend, InstanceConfigInput } from "./config.js"

/** What `orch init --profile` writes: the least an operator must decide, the rest left to defaults. */
export const profileConfig = (backend: Backend, modelPath: string, port: number, deviceId = 0): InstanceConfigInput => ({
  model: { path: modelPath },
  server: { host: "127.0.0.1", port },
  gpu: backend === "cpu" ? { backend, layers: 0 } : { backend, device_id: deviceId, layers: 999 },
  healthcheck: { start_period: "5m" },
  restart_policy: { enabled: true, max_retries: 10 }
})

export const FIRST_PORT = 8080
const LAST_PORT = 65535

/** Ports to try for a new instance, in order: from 8080 up, skipping those other instances use. */
export function* candidatePorts(used: ReadonlySet<number>, from = FIRST_PORT): Generator<number> {
  for (let port = from; port <= LAST_PORT; port++) {
    if (!used.has(port)) yield port
  }
}
