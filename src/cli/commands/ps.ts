import { Command } from "@effect/cli"
import { homeFrom, homeOption, jsonOption } from "../options.js"
import { showPs } from "../view/ps.js"

export const ps = Command.make("ps", { home: homeOption, json: jsonOption }, (options) => showPs(homeFrom(options.home), options.json)).pipe(
  Command.withDescription("List instances: pid, port, backend, device, model, status, health, uptime, restarts (--json for scripts)")
)
