import type { InstanceState, State } from "../../domain/instances.js"
import { exitText } from "../../domain/ending.js"
import { paint } from "./palette.js"
import { renderTable } from "./table.js"
import { formatAge, formatTime } from "./time.js"

const statusColour = (instance: InstanceState) => {
  switch (instance.status) {
    case "running":
      return instance.health === "healthy" ? paint.green : paint.yellow
    case "starting":
    case "backoff":
    case "stopping":
      return paint.yellow
    case "failed":
      return paint.red
    case "stopped":
      return paint.dim
  }
}

const healthColour = (instance: InstanceState) =>
  instance.health === "healthy" ? paint.green : instance.health === "unhealthy" || instance.health === "error" ? paint.red : instance.health === "loading" ? paint.yellow : paint.dim

/** The state of every instance as folded from the journal, one row each. */
export const instancesTable = (state: State, now: number) =>
  renderTable(
    [
      { header: "instance" },
      { header: "desired" },
      { header: "status" },
      { header: "health" },
      { header: "pid" },
      { header: "up for" },
      { header: "restarts" },
      { header: "last exit" },
      { header: "next restart", wrap: true }
    ],
    Object.values(state.instances)
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((instance) => [
        instance.name,
        instance.desired,
        statusColour(instance)(instance.status),
        healthColour(instance)(instance.health),
        instance.pid === null ? "-" : String(instance.pid),
        instance.pid === null || instance.started_at === null ? "-" : formatAge(Math.max(0, now - instance.started_at)),
        String(instance.restart_count),
        exitText(instance.last_exit, "cell"),
        instance.next_restart === null ? "-" : `#${instance.next_restart.attempt} at ${formatTime(instance.next_restart.due_at)}`
      ])
  )
