import { Command, Options } from "@effect/cli"
import { Console, Effect, Option } from "effect"
import { BadOption } from "../../../app/errors.js"
import { exportKubernetes } from "../../../app/kubernetes.js"
import { writeManifests } from "../../../app/manifest-files.js"
import type { ModelsVolume } from "../../../domain/kubernetes.js"
import { ExitCode } from "../../errors.js"
import { instanceNames } from "../../names.js"
import { homeFrom, homeOption } from "../../options.js"
import { bad, ok, printFindings } from "../../view/findings.js"
import { allOption, namesArg } from "../lifecycle.js"

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/
const DEFAULT_PVC = "models"

const text = (name: string, pseudo: string, description: string) =>
  Options.text(name).pipe(Options.withPseudoName(pseudo), Options.optional, Options.withDescription(description))

const modelsVolume = (pvc: Option.Option<string>, hostPath: Option.Option<string>): Effect.Effect<ModelsVolume, BadOption> => {
  if (Option.isSome(pvc) && Option.isSome(hostPath)) {
    return Effect.fail(new BadOption({ option: "--models-pvc", problem: "the models come from a PVC or a host path, not both", hint: "drop --models-pvc or --models-host-path" }))
  }
  if (Option.isSome(hostPath)) {
    return hostPath.value.startsWith("/")
      ? Effect.succeed({ hostPath: hostPath.value })
      : Effect.fail(new BadOption({ option: "--models-host-path", problem: `"${hostPath.value}" is not an absolute path on the node`, hint: "give the folder as the node sees it, for example /srv/models" }))
  }
  const claim = Option.getOrElse(pvc, () => DEFAULT_PVC)
  return DNS_LABEL.test(claim)
    ? Effect.succeed({ pvc: claim })
    : Effect.fail(new BadOption({ option: "--models-pvc", problem: `"${claim}" is not a Kubernetes object name`, hint: "lowercase letters, digits and \"-\", for example models" }))
}

export const exportKubernetesCommand = Command.make(
  "kubernetes",
  {
    names: namesArg,
    all: allOption,
    namespace: text("namespace", "NS", "The namespace written into every object (default: none, so kubectl's -n or context decides)"),
    image: text("image", "IMAGE", "The container image (default: ghcr.io/ggml-org/llama.cpp:server, :server-cuda or :server-vulkan by gpu.backend)"),
    modelsPvc: text("models-pvc", "NAME", `The PersistentVolumeClaim holding the models, mounted read-only (default: ${DEFAULT_PVC})`),
    modelsHostPath: text("models-host-path", "DIR", "A folder on the node holding the models, mounted read-only instead of a PVC"),
    out: text("out", "DIR", "Write one NAME.yaml per instance into DIR instead of printing (default: print)"),
    home: homeOption
  },
  (options) =>
    Effect.gen(function* () {
      if (options.all && options.names.length > 0) return yield* new BadOption({ option: "--all", problem: "give names or --all, not both", hint: "drop the names, or drop --all" })
      if (!options.all && options.names.length === 0) return yield* new BadOption({ option: "NAME", problem: "no instance named", hint: "name one or more instances, or pass --all" })
      const names = options.all ? undefined : yield* instanceNames(options.names)
      const namespace = Option.getOrUndefined(options.namespace)
      if (namespace !== undefined && !DNS_LABEL.test(namespace)) {
        return yield* new BadOption({ option: "--namespace", problem: `"${namespace}" is not a namespace name`, hint: "lowercase letters, digits and \"-\", at most 63, for example llm" })
      }
      const models = yield* modelsVolume(options.modelsPvc, options.modelsHostPath)
      const home = homeFrom(options.home)
      const manifests = yield* exportKubernetes(home, names, { namespace, image: Option.getOrUndefined(options.image), models }).pipe(
        Effect.catchTag("ConfigProblems", ({ findings }) =>
          Effect.zipRight(Effect.zipRight(bad("nothing exported: fix these first"), printFindings(findings, true)), new ExitCode({ code: 1 }))
        )
      )
      if (manifests.length === 0) return yield* Console.log("No instances.")
      if (Option.isNone(options.out)) return yield* Console.log(manifests.map((manifest) => manifest.text).join("---\n").trimEnd())
      for (const file of yield* writeManifests(options.out.value, manifests)) yield* ok(`wrote ${file}`)
    })
).pipe(Command.withDescription("Print (or write with --out) each instance as a Kubernetes Deployment, Service and Secret; what does not map is listed at the top"))
