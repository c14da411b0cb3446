import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { Effect, Stream } from "effect"
import { checkBinary, checkLogsDir, checkModel, checkPort, resolveCommand } from "../config/checks.js"
import { discoverInstances } from "../config/discover.js"
import { configFile, homeProblem, journalDir } from "../config/home.js"
import { loadConfig } from "../config/validate.js"
import { binaryArgv } from "../domain/argv.js"
import { type Finding, oneLine } from "../domain/findings.js"
import type { State } from "../domain/instances.js"
import { Journal } from "../journal/Journal.js"
import { currentState } from "../journal/projection.js"
import { runningDaemon } from "../runtime/lock.js"
import { platform } from "../runtime/platform/current.js"
import { apiAddress, apiWords } from "./api-address.js"
import { withJournal } from "./journal.js"
import { userMessage } from "./messages.js"
import { installedService } from "./service.js"
import type { DoctorCheck } from "./shapes.js"

/** One line of the diagnosis: what was looked at, how it stands, and the fix where it does not hold. */
export type Check = DoctorCheck

const passed = (check: string, detail: string): Check => ({ check, status: "ok", detail, fix: "" })
const fromFindings = (check: string, findings: ReadonlyArray<Finding>, good: string): Check =>
  findings.length === 0 ? passed(check, good) : { check, status: "fail", detail: findings.map((finding) => oneLine(finding.problem)).join("; "), fix: oneLine(findings[0]!.hint) }

/** llama.cpp prints "version: 4589 (a1b2c3d)" for --version (on stderr). */
const versionOf = (home: string, binary: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const command = yield* Effect.promise(() => resolveCommand(home, binary[0]!, process.env))
    if (command === undefined) return undefined
    const run = spawnSync(command, [...binary.slice(1), "--version"], { cwd: home, encoding: "utf8", timeout: 10_000, killSignal: "SIGKILL" })
    const said = /version:\s*(\S+)\s*\(([^)]*)\)/.exec(`${run.stdout ?? ""}${run.stderr ?? ""}`)
    return said === null ? undefined : `${said[1]} (${said[2]})`
  })

const instanceChecks = (home: string, name: string, state: State | undefined) =>
  Effect.gen(function* () {
    const file = configFile(home, name)
    const loaded = yield* loadConfig(file, name)
    if (loaded.config === undefined) return { checks: [fromFindings(`${name}: config`, loaded.findings, "")], binary: undefined }
    const config = loaded.config
    const running = state?.instances[name]
    const ours = running?.pid != null && running.start_time !== null && platform.isAlive(running.pid, running.start_time)
    const checks = [
      fromFindings(`${name}: model`, yield* checkModel(home, config), `${config.model.path} is a GGUF file`),
      fromFindings(`${name}: binary`, yield* checkBinary(home, config), binaryArgv(config).join(" ")),
      ours
        ? passed(`${name}: port`, `${config.server.host}:${config.server.port} is held by its own server (pid ${running.pid})`)
        : fromFindings(`${name}: port`, yield* checkPort(config), `${config.server.host}:${config.server.port} is free`),
      fromFindings(`${name}: logs`, yield* checkLogsDir(file), "its logs folder can be written")
    ]
    return { checks, binary: binaryArgv(config) }
  })

const journalChecks = (home: string) => {
  // A file where the journal folder goes: the first `up` would fail on it, whatever opening it says now.
  const blocked = homeProblem(journalDir(home))
  if (blocked !== undefined) {
    const check: Check = { check: "journal", status: "fail", detail: `${blocked}: no journal can be made there`, fix: "move that file away; orch makes the journal folder itself" }
    return Effect.succeed({ check, state: undefined })
  }
  return withJournal(home, "read")(
    Effect.gen(function* () {
      const journal = yield* Journal
      const integrity = yield* journal.integrityCheck
      const events = yield* Stream.runCount(journal.read())
      const state = yield* currentState
      const check: Check = integrity.length === 1 && integrity[0] === "ok"
        ? passed("journal", `${events} events, SQLite integrity ok`)
        : { check: "journal", status: "fail", detail: integrity.join("; "), fix: "see `orch journal check`" }
      return { check, state: state as State | undefined }
    })
  ).pipe(
    Effect.catchTag("NoJournal", () => Effect.succeed({ check: passed("journal", "none yet: the first `orch up` creates it"), state: undefined })),
    Effect.catchAll((error) => {
      const said = userMessage(error)
      return Effect.succeed({ check: { check: "journal", status: "fail", detail: said.message, fix: said.hint } as Check, state: undefined })
    })
  )
}

const writable = (dir: string) => {
  try {
    fs.accessSync(dir, fs.constants.W_OK)
    return true
  } catch {
    return false
  }
}

/**
 * Whether orch can keep its files in the home. access(W_OK) answers for root too where it counts
 * (an immutable folder, a read-only mount); a file there is never "writable as a home", and a home
 * not made yet is fine where `init` can make it.
 */
const homeCheck = (home: string): Check => {
  const cannot = { check: "home", status: "fail", fix: "fix its permissions, or use another --home" } as const
  const problem = homeProblem(home)
  if (problem !== undefined) return { check: "home", status: "fail", detail: problem, fix: "point --home at a folder, or move that file away" }
  if (fs.existsSync(home)) return writable(home) ? passed("home", `${home} can be written`) : { ...cannot, detail: `${home} cannot be written` }
  let parent = path.dirname(home)
  while (!fs.existsSync(parent)) parent = path.dirname(parent)
  return writable(parent)
    ? { check: "home", status: "warn", detail: `${home} does not exist yet`, fix: "`orch init NAME --model PATH` makes it" }
    : { ...cannot, detail: `${home} does not exist, and ${parent} cannot be written` }
}

/** Everything `orch doctor` looks at, each with its fix. */
export const diagnose = (home: string) =>
  Effect.gen(function* () {
    const checks: Array<Check> = [homeCheck(home)]
    const journal = yield* journalChecks(home)
    const discovered = yield* discoverInstances(home)
    // Lint reports each of them, once; here they are only counted, as nothing else looks at them.
    if (discovered.findings.length > 0) {
      const count = discovered.findings.length
      checks.push({
        check: "instance folders",
        status: "warn",
        detail: `${count} folder${count === 1 ? " under instances/ is not an instance and is" : "s under instances/ are not instances and are"} ignored`,
        fix: "`orch config lint` says why, and how to fix each"
      })
    }
    if (discovered.names.length === 0) checks.push({ check: "instances", status: "warn", detail: "none in this home", fix: "orch init NAME --model PATH" })
    const binaries = new Map<string, ReadonlyArray<string>>()
    for (const name of discovered.names) {
      const found = yield* instanceChecks(home, name, journal.state)
      checks.push(...found.checks)
      if (found.binary !== undefined && found.checks.every((check) => !(check.check.endsWith(": binary") && check.status === "fail"))) binaries.set(found.binary.join(" "), found.binary)
    }
    for (const [shown, binary] of binaries) {
      const version = yield* versionOf(home, binary)
      checks.push(version === undefined
        ? { check: "binary version", status: "warn", detail: `${shown} --version did not say its version`, fix: "check that it is llama.cpp's llama-server" }
        : passed("binary version", `${shown}: version ${version}`))
    }
    checks.push(journal.check)
    const daemon = runningDaemon(journalDir(home))
    const wanted = Object.values(journal.state?.instances ?? {}).filter((instance) => instance.desired === "up").map((instance) => instance.name)
    checks.push(daemon !== undefined
      ? passed("daemon", `running (pid ${daemon.pid})`)
      : wanted.length > 0
        ? { check: "daemon", status: "fail", detail: `not running, while ${wanted.join(", ")} should be up`, fix: "orch daemon start" }
        : passed("daemon", "not running; nothing is wanted up"))
    if (daemon !== undefined) {
      const api = apiWords(yield* apiAddress(home, journal.state))
      checks.push(api.ok ? passed("api", api.text) : { check: "api", status: "fail", detail: api.text, fix: api.fix })
    }
    const unit = installedService(home)
    checks.push(unit !== undefined
      ? passed("service", `installed: ${unit}`)
      : { check: "service", status: "warn", detail: "not installed: the daemon does not start at boot", fix: "orch install-service" })
    return checks
  })
