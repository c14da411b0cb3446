import type { Deployment } from "kubernetes-types/apps/v1.js"
import type { EnvVar, Probe, Secret, Service } from "kubernetes-types/core/v1.js"
import { buildArgv, gpuSelection } from "./argv.js"
import type { InstanceConfig } from "./config.js"
import { livenessTiming, type ProbeTiming, readinessTiming, startupTiming } from "./kube-probes.js"
import { isSecretName } from "./redact.js"

/*
 * Types only from kubernetes-types: an object literal with a misspelt field does not compile, so
 * what this file builds has the API's shape before the tests validate it against the schemas.
 */

/** The official images, by backend (llama.cpp's docs/docker.md). Each runs llama-server as its entrypoint. */
export const DEFAULT_IMAGES = {
  cpu: "ghcr.io/ggml-org/llama.cpp:server",
  cuda: "ghcr.io/ggml-org/llama.cpp:server-cuda",
  vulkan: "ghcr.io/ggml-org/llama.cpp:server-vulkan"
} as const

/** The device plugins' resource names: an NVIDIA card for CUDA; Vulkan's GPUs are AMD's in clusters. */
const GPU_RESOURCE = { cuda: "nvidia.com/gpu", vulkan: "amd.com/gpu" } as const

/** Secret flags and the variables llama-server reads them from, so no secret stays in the args. */
const SECRET_FLAG_ENV: ReadonlyArray<readonly [string, string]> = [
  ["--api-key", "LLAMA_API_KEY"],
  ["--hf-token", "HF_TOKEN"]
]

const MODELS_MOUNT = "/models"
const HASH_ANNOTATION = "llama-orchestrator/config-hash"

export type ModelsVolume = { readonly pvc: string } | { readonly hostPath: string }

export interface ExportRequest {
  readonly name: string
  readonly config: InstanceConfig
  /** A stable hash of the config as written: a changed config changes the pod template, which rolls the Deployment. */
  readonly hash: string
  readonly namespace: string | undefined
  readonly image: string | undefined
  readonly models: ModelsVolume
}

export interface Exported {
  readonly documents: ReadonlyArray<Deployment | Service | Secret>
  /** What the config says that Kubernetes cannot: printed above the documents. */
  readonly notes: ReadonlyArray<string>
}

/** Object names are DNS labels: no "_", and (for a Service) a letter first. */
export const kubeName = (name: string) => {
  const dashed = name.replace(/_/g, "-")
  return /^[a-z]/.test(dashed) ? dashed : `llama-${dashed}`
}

const baseName = (file: string) => file.split(/[\\/]/).filter((part) => part !== "").pop() ?? file

/** The argv with each secret flag taken out, and the secrets it held by variable name. */
const withoutSecretFlags = (argv: ReadonlyArray<string>) => {
  const args: Array<string> = []
  const secrets: Record<string, string> = {}
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!
    const [flag, inline] = arg.split(/=(.*)/s)
    const variable = SECRET_FLAG_ENV.find(([secretFlag]) => secretFlag === flag)?.[1]
    if (variable === undefined) args.push(arg)
    else if (inline !== undefined) secrets[variable] = inline
    else if (index + 1 < argv.length) secrets[variable] = argv[++index]!
  }
  return { args, secrets }
}

const httpProbe = (path: string, port: number, timing: ProbeTiming): Probe => ({ httpGet: { path, port }, ...timing })

const sorted = (record: Readonly<Record<string, string>>) => Object.entries(record).sort(([a], [b]) => a.localeCompare(b))

/** The differences an operator must know before trusting the Deployment to mean what the config meant. */
const notesFor = (config: InstanceConfig): ReadonlyArray<string> => {
  const { restart_policy: restart, healthcheck, gpu } = config
  const notes = [
    `restarts: Kubernetes restarts a failed container forever, after 10 s doubling to 5 min; restart_policy (max_retries ${restart.max_retries}, initial_delay ${restart.initial_delay / 1000} s, backoff_multiplier ${restart.backoff_multiplier}, max_delay ${restart.max_delay / 1000} s, reset_after ${restart.reset_after / 1000} s) is not carried over`,
    "journal: events stay in each machine's orch journal; Kubernetes keeps its own (kubectl get events), and `orch events` does not see a cluster",
    "logs: the kubelet rotates container logs by its own settings; logs.max_size and logs.keep are not carried over",
    `model: mounted read-only at ${MODELS_MOUNT}; the volume must hold ${baseName(config.model.path)} at its top`
  ]
  if (!restart.enabled) notes.push("restart_policy.enabled false: a Deployment's pods always restart (restartPolicy Always); scale it to 0 to keep it down")
  if (healthcheck.deep === "slots") notes.push(`healthcheck.deep "slots": the liveness probe asks GET /slots instead of ${healthcheck.path} (one request per probe; /slots answering means the server does)`)
  if (healthcheck.deep === "completion") notes.push(`healthcheck.deep "completion": dropped, a probe cannot POST; the liveness probe asks ${healthcheck.path} only`)
  if (gpu.device_id !== undefined) notes.push(`gpu.device_id ${gpu.device_id}: dropped, the device plugin gives the pod one GPU of its choosing, the only one llama-server sees`)
  if (config.gateway.aliases.length > 0 || config.gateway.on_demand || config.gateway.ttl !== undefined || config.gateway.group !== undefined) {
    notes.push("gateway: aliases, on_demand, ttl and group are the orch daemon's gateway's; the Service serves this instance alone")
  }
  return notes
}

/** An instance config as the Deployment, Service and (if it holds secrets) Secret that run it in a cluster. */
export const exportInstance = (request: ExportRequest): Exported => {
  const { config, models } = request
  const name = kubeName(request.name)
  const port = config.server.port
  const metadata = (objectName: string) => ({
    name: objectName,
    ...(request.namespace === undefined ? {} : { namespace: request.namespace }),
    labels: { "app.kubernetes.io/name": "llama-server", "app.kubernetes.io/instance": name, "app.kubernetes.io/managed-by": "orch" },
    annotations: { [HASH_ANNOTATION]: request.hash, "llama-orchestrator/instance": request.name }
  })
  const selector = { "app.kubernetes.io/name": "llama-server", "app.kubernetes.io/instance": name }

  // The image's entrypoint is llama-server, so the argv goes to `args` without the binary; the
  // device plugin gives the pod its GPU, so no device is named.
  const { device_id: _chosenByThePlugin, ...gpuWithoutDevice } = config.gpu
  const portable: InstanceConfig = {
    ...config,
    binary: "llama-server",
    server: { ...config.server, host: "0.0.0.0" },
    model: { ...config.model, path: `${MODELS_MOUNT}/${baseName(config.model.path)}` },
    gpu: gpuWithoutDevice
  }
  const { args, secrets: flagSecrets } = withoutSecretFlags(buildArgv(request.name, portable).slice(1))
  const gpu = gpuSelection(portable)
  const plainEnv: Record<string, string> = gpu?.by === "environment" ? { [gpu.variable]: gpu.value } : {}
  const secrets: Record<string, string> = {}
  for (const [key, value] of Object.entries(config.env)) (isSecretName(key) ? secrets : plainEnv)[key] = value
  Object.assign(secrets, flagSecrets)

  const secretName = `${name}-secrets`
  const env: Array<EnvVar> = [
    ...sorted(plainEnv).map(([key, value]): EnvVar => ({ name: key, value })),
    ...sorted(secrets).map(([key]): EnvVar => ({ name: key, valueFrom: { secretKeyRef: { name: secretName, key } } }))
  ]
  const backend = config.gpu.backend
  // An extended resource's request defaults to its limit, so the GPU is named once.
  const resources = {
    ...(config.model.threads === undefined ? {} : { requests: { cpu: String(config.model.threads) } }),
    ...(backend === "cpu" ? {} : { limits: { [GPU_RESOURCE[backend]]: "1" } })
  }
  const livenessPath = config.healthcheck.deep === "slots" ? "/slots" : config.healthcheck.path

  const deployment: Deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: metadata(name),
    spec: {
      replicas: 1,
      // A GPU cannot be shared during a rolling update: the old pod goes before the new one comes.
      strategy: { type: "Recreate" },
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: selector, annotations: { [HASH_ANNOTATION]: request.hash } },
        spec: {
          terminationGracePeriodSeconds: Math.ceil(config.stop_timeout / 1000),
          containers: [
            {
              name: "llama-server",
              image: request.image ?? DEFAULT_IMAGES[backend],
              args,
              ...(env.length === 0 ? {} : { env }),
              ports: [{ name: "http", containerPort: port }],
              ...(Object.keys(resources).length === 0 ? {} : { resources }),
              volumeMounts: [{ name: "models", mountPath: MODELS_MOUNT, readOnly: true }],
              startupProbe: httpProbe(config.healthcheck.path, port, startupTiming(config.healthcheck)),
              livenessProbe: httpProbe(livenessPath, port, livenessTiming(config.healthcheck)),
              // A loading server answers /health with 503: not ready, whatever healthcheck.path says.
              readinessProbe: httpProbe("/health", port, readinessTiming(config.healthcheck))
            }
          ],
          volumes: [
            "pvc" in models
              ? { name: "models", persistentVolumeClaim: { claimName: models.pvc, readOnly: true } }
              : { name: "models", hostPath: { path: models.hostPath, type: "Directory" } }
          ]
        }
      }
    }
  }
  const service: Service = {
    apiVersion: "v1",
    kind: "Service",
    metadata: metadata(name),
    spec: { selector, ports: [{ name: "http", port, targetPort: "http" }] }
  }
  const secret: Secret = { apiVersion: "v1", kind: "Secret", metadata: metadata(secretName), type: "Opaque", stringData: Object.fromEntries(sorted(secrets)) }
  return { documents: Object.keys(secrets).length === 0 ? [deployment, service] : [secret, deployment, service], notes: notesFor(config) }
}
