import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { DEFAULT_IMAGES, exportInstance, kubeName } from "../../src/domain/kubernetes.js"
import { decodeConfig } from "../../src/domain/lint.js"

const decoded = (raw: Record<string, unknown>) => Either.getOrThrow(decodeConfig({ model: { path: "models/q.gguf" }, server: { port: 8080 }, ...raw }))

const exported = (raw: Record<string, unknown>, overrides: { image?: string; namespace?: string; models?: { pvc: string } | { hostPath: string } } = {}) =>
  exportInstance({ name: "chat", config: decoded(raw), hash: "h", namespace: overrides.namespace, image: overrides.image, models: overrides.models ?? { pvc: "models" } })

const deploymentOf = (result: ReturnType<typeof exported>) => {
  const deployment = result.documents.find((document) => document.kind === "Deployment")
  if (deployment?.kind !== "Deployment") throw new Error("no Deployment")
  return deployment
}
const containerOf = (result: ReturnType<typeof exported>) => deploymentOf(result).spec!.template.spec!.containers[0]!

describe("exportInstance", () => {
  it("takes --api-key out of the args in either spelling, into LLAMA_API_KEY from the Secret", () => {
    for (const args of [["--api-key", "k1"], ["--api-key=k1"]]) {
      const result = exported({ args: [...args, "--jinja"] })
      expect(containerOf(result).args).not.toContain("k1")
      expect(containerOf(result).args!.some((arg) => arg.startsWith("--api-key"))).toBe(false)
      expect(result.documents[0]).toMatchObject({ kind: "Secret", stringData: { LLAMA_API_KEY: "k1" } })
    }
  })

  it("makes no Secret for a config without secrets", () => {
    expect(exported({ env: { LOG_LEVEL: "debug" } }).documents.map((document) => document.kind)).toEqual(["Deployment", "Service"])
  })

  it("picks the image by backend unless one is given", () => {
    for (const backend of ["cpu", "cuda", "vulkan"] as const) expect(containerOf(exported({ gpu: { backend } })).image).toBe(DEFAULT_IMAGES[backend])
    expect(containerOf(exported({ gpu: { backend: "cuda" } }, { image: "registry.local/llama:b1" })).image).toBe("registry.local/llama:b1")
  })

  it("names no device and sets no mask: the device plugin gives the pod its one GPU", () => {
    for (const select_by of ["device_flag", "environment"]) {
      const container = containerOf(exported({ gpu: { backend: "vulkan", device_id: 2, select_by } }))
      expect(container.args).not.toContain("--device")
      expect(container.env ?? []).toEqual([])
      expect(container.resources?.limits).toEqual({ "amd.com/gpu": "1" })
    }
  })

  it("requests the threads as CPUs and limits the GPU to one", () => {
    expect(containerOf(exported({ model: { path: "q.gguf", threads: 12 }, gpu: { backend: "cuda" } })).resources).toEqual({ requests: { cpu: "12" }, limits: { "nvidia.com/gpu": "1" } })
    expect(containerOf(exported({})).resources).toBeUndefined()
  })

  it("mounts a host path instead of a PVC, and writes the namespace into every object", () => {
    const result = exported({}, { models: { hostPath: "/srv/models" }, namespace: "llm" })
    expect(deploymentOf(result).spec!.template.spec!.volumes).toEqual([{ name: "models", hostPath: { path: "/srv/models", type: "Directory" } }])
    for (const document of result.documents) expect(document.metadata!.namespace).toBe("llm")
  })

  it("says what does not map", () => {
    const notes = exported({ restart_policy: { enabled: false }, healthcheck: { deep: "completion" } }).notes.join("\n")
    expect(notes).toMatch(/10 s doubling to 5 min/)
    expect(notes).toMatch(/journal/)
    expect(notes).toMatch(/restart_policy.enabled false/)
    expect(notes).toMatch(/deep "completion": dropped/)
  })
})

describe("kubeName", () => {
  it.each([
    ["chat", "chat"],
    ["code_7b", "code-7b"],
    ["7b", "llama-7b"]
  ])("%s → %s", (name, expected) => expect(kubeName(name)).toBe(expected))
})
