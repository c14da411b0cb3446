import { Command } from "@effect/cli"
import { exportKubernetesCommand } from "./kubernetes.js"

export const exportCommand = Command.make("export").pipe(
  Command.withDescription("Turn the instance configs into another system's deployment files"),
  Command.withSubcommands([exportKubernetesCommand])
)
