import { Either } from "effect"
import { logFiles } from "../config/home.js"
import { buildEnv, gpuSelection, showGpuSelection } from "../domain/argv.js"
import { decodeInstanceConfig } from "../domain/config.js"
import type { InstanceState, Served } from "../domain/instances.js"
import { redactConfig } from "../domain/redact.js"
import { sizeOf } from "../runtime/log-rotation.js"
import type { Described } from "./shapes.js"

/** A served request with its fields in the shape's order: the fold keeps `at` last, --json shows times first. */
const requestOf = ({ at, endpoint, status, streamed, duration_ms, queued_ms, ttft_ms, prompt_tokens, completion_tokens, tokens_per_second, error }: Served): Described["requests"][number] => ({
  at, endpoint, status, streamed, duration_ms, queued_ms, ttft_ms, prompt_tokens, completion_tokens, tokens_per_second,
  ...(error === undefined ? {} : { error })
})

/** Everything known of one instance, secrets hidden: what `--json` prints. */
export const describeOf = (home: string, name: string, instance: InstanceState | undefined, onDisk: unknown, now: number): Described => {
  const raw = (instance?.config ?? onDisk ?? null) as Record<string, unknown> | null
  const decoded = instance?.decoded_config != null ? Either.right(instance.decoded_config) : decodeInstanceConfig(raw)
  const env = Either.match(decoded, {
    onLeft: () => Object.keys((raw?.["env"] as Record<string, unknown> | undefined) ?? {}),
    onRight: (config) => Object.keys(buildEnv({}, name, home, config))
  })
  const gpu = Either.match(decoded, {
    onLeft: () => null,
    onRight: (config) => ({ backend: config.gpu.backend, selected_by: showGpuSelection(gpuSelection(config)) })
  })
  const logs = logFiles(home, name)
  return {
    name,
    status: instance?.status ?? "new",
    desired: instance?.desired ?? null,
    health: instance?.health ?? null,
    health_since: instance?.health_since ?? null,
    pid: instance?.pid ?? null,
    started_at: instance?.pid == null ? null : instance.started_at,
    uptime_ms: instance?.pid == null || instance.started_at === null ? null : Math.max(0, now - instance.started_at),
    restarts: instance?.restart_count ?? 0,
    restarts_in_a_row: instance?.attempts ?? 0,
    max_retries: instance?.restart_policy.max_retries ?? null,
    next_restart: instance?.next_restart ?? null,
    last_exit: instance?.last_exit ?? null,
    last_error: instance?.last_error ?? null,
    config: raw === null ? null : redactConfig(raw),
    config_hash: instance?.config_hash ?? null,
    argv: instance?.argv ?? null,
    gpu,
    env_keys: env,
    probes: instance?.probes ?? [],
    restart_history: instance?.restarts ?? [],
    requests: (instance?.served ?? []).map(requestOf),
    logs: { stdout: { path: logs.stdout, size: sizeOf(logs.stdout) ?? null }, stderr: { path: logs.stderr, size: sizeOf(logs.stderr) ?? null } }
  }
}
