import { Command } from "@effect/cli"
import { api } from "./api.js"
import { config } from "./config/config.js"
import { daemon } from "./daemon/daemon.js"
import { dashboard } from "./dashboard.js"
import { describe } from "./describe.js"
import { devices } from "./devices.js"
import { doctor } from "./doctor.js"
import { down } from "./down.js"
import { events } from "./events.js"
import { exportCommand } from "./export/export.js"
import { health } from "./health.js"
import { init } from "./init.js"
import { installService } from "./install-service.js"
import { journal } from "./journal/journal.js"
import { logs } from "./logs.js"
import { ps } from "./ps.js"
import { replay } from "./replay.js"
import { restart } from "./restart.js"
import { ui } from "./ui.js"
import { up } from "./up.js"

export const orch = Command.make("orch").pipe(
  Command.withDescription("Supervise llama.cpp llama-server instances"),
  Command.withSubcommands([up, down, restart, ps, logs, describe, dashboard, health, init, config, events, exportCommand, replay, journal, daemon, installService, devices, doctor, api, ui])
)
