import * as fs from "node:fs"
import * as path from "node:path"
import { Deployment } from "kubernetes-models/apps/v1/Deployment"
import { Secret } from "kubernetes-models/v1/Secret"
import { Service } from "kubernetes-models/v1/Service"
import type { Deployment as DeploymentObject } from "kubernetes-types/apps/v1.js"
import type { Secret as SecretObject, Service as ServiceObject } from "kubernetes-types/core/v1.js"
import { parseAllDocuments } from "yaml"
import { describe, expect, it } from "vitest"
import { tempHome, unwritableDir, writeConfig } from "../support/home.js"
import { kubeTypeErrors } from "../support/kube-types.js"
import { hasStackTrace, orch } from "../support/orch.js"

const GOLDEN = path.resolve("test/fixtures/kubernetes")

/** One instance per backend, each using the fields that change the output. */
const CONFIGS: Record<string, unknown> = {
  cpu: { model: { path: "models/phi.gguf", context_size: 4096, threads: 6 }, server: { port: 8080, parallel: 2 } },
  cuda: {
    model: { path: "/srv/models/qwen.gguf", context_size: 8192 },
    server: { port: 8081 },
    gpu: { backend: "cuda", device_id: 1, layers: "all" },
    healthcheck: { interval: "15s", timeout: "3s", retries: 4, start_period: "20m", deep: "slots" },
    restart_policy: { max_retries: 3, initial_delay: "5s" },
    env: { GGML_CUDA_FORCE_MMQ: "1" },
    stop_timeout: "30s"
  },
  vulkan: {
    model: { path: "models/llama.gguf" },
    server: { port: 8082 },
    gpu: { backend: "vulkan", device_id: 0, select_by: "environment", layers: 99 },
    healthcheck: { path: "/v1/models", start_period: "2h", interval: "1m", deep: "completion" }
  }
}

const homeWith = (configs: Record<string, unknown>) => {
  const home = tempHome()
  for (const [name, config] of Object.entries(configs)) writeConfig(home, name, config)
  return home
}

const KINDS = { Deployment, Service, Secret } as const
/** Each document, validated against the Kubernetes API schema of its kind: throws on the first that fails. */
const validateAll = (yamlText: string) =>
  parseAllDocuments(yamlText).map((document) => {
    const object = document.toJS() as { kind: keyof typeof KINDS }
    const Model = KINDS[object.kind]
    expect(Model, `a kind this export makes: ${object.kind}`).toBeDefined()
    new Model(object as never).validate()
    return object
  })

/** Valid by the schemas, and no field the API does not have: throws with what TypeScript says. */
const checkAll = (yamlText: string) => {
  const objects = validateAll(yamlText)
  const errors = kubeTypeErrors(objects)
  if (errors.length > 0) throw new Error(errors.join("\n"))
  return objects
}

describe("orch export kubernetes", () => {
  it.each(Object.keys(CONFIGS))("prints the %s instance as its golden file, every document valid", (name) => {
    const home = homeWith(CONFIGS)
    const run = orch(["export", "kubernetes", name, "--home", home])
    expect(run.stderr).toBe("")
    expect(run.code).toBe(0)
    const golden = path.join(GOLDEN, `${name}.yaml`)
    if (process.env["ORCH_UPDATE_GOLDEN"] === "1") fs.writeFileSync(golden, run.stdout)
    expect(run.stdout).toBe(fs.readFileSync(golden, "utf8"))
    const kinds = checkAll(run.stdout).map((object) => object.kind)
    expect(kinds).toEqual(["Deployment", "Service"])
  })

  it("fails validation on a misspelt field", () => {
    const good = fs.readFileSync(path.join(GOLDEN, "cpu.yaml"), "utf8")
    expect(() => checkAll(good)).not.toThrow()
    // A misspelt optional field, which the schema validator alone lets pass.
    expect(() => validateAll(good.replace("livenessProbe:", "livenesProbe:"))).not.toThrow()
    expect(() => checkAll(good.replace("livenessProbe:", "livenesProbe:"))).toThrow(/livenesProbe/)
    expect(() => checkAll(good.replace("readOnly: true", "readonly: true"))).toThrow(/readonly/)
    // A typo in a required field, a value of the wrong type, a probe port that is no port.
    expect(() => validateAll(good.replace("containers:", "contianers:"))).toThrow(/containers/)
    expect(() => validateAll(good.replace("replicas: 1", "replicas: one"))).toThrow(/replicas/)
    expect(() => validateAll(good.replace("failureThreshold: 1", "failureThreshold: [1]"))).toThrow(/failureThreshold/)
  })

  it("keeps --api-key and secret-looking env in the Secret alone", () => {
    const secrets = { key: "sk-live-0123456789", token: "hf_tok_abcdef", password: "pa55-w0rd-xyz" }
    const home = homeWith({
      chat: {
        model: { path: "m.gguf" },
        server: { port: 8090 },
        args: ["--api-key", secrets.key, "--jinja", `--hf-token=${secrets.token}`],
        env: { DB_PASSWORD: secrets.password, LOG_LEVEL: "info" }
      }
    })
    const run = orch(["export", "kubernetes", "chat", "--home", home, "--namespace", "llm"])
    expect(run.code).toBe(0)
    const objects = checkAll(run.stdout)
    expect(objects.map((object) => object.kind)).toEqual(["Secret", "Deployment", "Service"])
    const [secret, deployment, service] = objects as unknown as [SecretObject, DeploymentObject, ServiceObject]
    expect(secret.stringData).toEqual({ DB_PASSWORD: secrets.password, HF_TOKEN: secrets.token, LLAMA_API_KEY: secrets.key })
    const outside = [run.stdout.split("\n").filter((line) => line.startsWith("#")).join("\n"), JSON.stringify([deployment, service]), run.stderr].join("\n")
    for (const value of Object.values(secrets)) expect(outside).not.toContain(value)
    // Each value appears once in the whole output: inside the Secret.
    for (const value of Object.values(secrets)) expect(run.stdout.split(value).length - 1).toBe(1)
    const container = deployment.spec!.template.spec!.containers[0]!
    expect(container.args).toContain("--jinja")
    expect(container.args).not.toContain("--api-key")
    expect(container.env).toContainEqual({ name: "LLAMA_API_KEY", valueFrom: { secretKeyRef: { name: "chat-secrets", key: "LLAMA_API_KEY" } } })
    expect(container.env).toContainEqual({ name: "LOG_LEVEL", value: "info" })
  })

  it("writes one file per instance with --out", () => {
    const home = homeWith(CONFIGS)
    const out = path.join(home, "k8s")
    const run = orch(["export", "kubernetes", "--all", "--home", home, "--out", out])
    expect(run.code).toBe(0)
    expect(fs.readdirSync(out).sort()).toEqual(["cpu.yaml", "cuda.yaml", "vulkan.yaml"])
    for (const name of Object.keys(CONFIGS)) expect(fs.readFileSync(path.join(out, `${name}.yaml`), "utf8")).toBe(fs.readFileSync(path.join(GOLDEN, `${name}.yaml`), "utf8"))
  })

  const ERRORS: ReadonlyArray<readonly [string, ReadonlyArray<string>, RegExp]> = [
    ["an unknown instance", ["vulkn"], /no instance "vulkn".*\n.*did you mean "vulkan"/],
    ["both model sources", ["cpu", "--models-pvc", "models", "--models-host-path", "/srv/models"], /a PVC or a host path, not both/],
    ["neither names nor --all", [], /no instance named[\s\S]*pass --all/],
    ["a config that does not decode", ["--all"], /broken[\s\S]*server\.port/]
  ]
  it.each(ERRORS)("refuses %s: exit 1, a message, no trace, no file", (_, args, message) => {
    const home = homeWith({ ...CONFIGS, broken: { model: { path: "m.gguf" }, server: { port: "eighty" } } })
    const out = path.join(home, "k8s")
    const run = orch(["export", "kubernetes", ...args, "--home", home, "--out", out])
    expect(run.code).toBe(1)
    expect(run.stdout + run.stderr).toMatch(message)
    expect(hasStackTrace(run)).toBe(false)
    expect(fs.existsSync(out)).toBe(false)
  })

  it("refuses two instances that would share a Kubernetes name", () => {
    const home = homeWith({ code_7b: CONFIGS["cpu"], "code-7b": CONFIGS["cuda"] })
    const run = orch(["export", "kubernetes", "--all", "--home", home, "--out", path.join(home, "k8s")])
    expect(run.code).toBe(1)
    expect(run.stdout + run.stderr).toMatch(/"code_7b" and "code-7b" would both be named "code-7b"/)
    expect(fs.existsSync(path.join(home, "k8s"))).toBe(false)
  })

  it("says where it could not write, and leaves nothing behind", () => {
    const home = homeWith(CONFIGS)
    const out = unwritableDir()
    const run = orch(["export", "kubernetes", "--all", "--home", home, "--out", out])
    expect(run.code).toBe(1)
    expect(run.stdout + run.stderr).toContain(out)
    expect(hasStackTrace(run)).toBe(false)
    expect(fs.readdirSync(out)).toEqual([])
  })
})
