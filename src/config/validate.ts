import { Effect, Either } from "effect"
import type { InstanceConfig } from "../domain/config.js"
import type { FileFinding, Finding } from "../domain/findings.js"
import { type InstanceFinding, aliasClashes, decodeConfig, portCollisions, undefinedGroups } from "../domain/lint.js"
import { checkMachine } from "./checks.js"
import { discoverInstances } from "./discover.js"
import { configFile } from "./home.js"
import { readJsonFile } from "./read.js"
import { readSettings } from "./settings.js"

export interface Checked {
  readonly file: string
  readonly instance?: string
  readonly config?: InstanceConfig
  /** The JSON the config was decoded from, as read: what to journal, so that what is recorded is what was checked. */
  readonly raw?: Readonly<Record<string, unknown>>
  readonly findings: ReadonlyArray<FileFinding>
}

const locate = (file: string, instance: string | undefined) => (finding: Finding): FileFinding =>
  instance === undefined ? { file, ...finding } : { file, instance, ...finding }

/** Reads and decodes a config file, without looking at the machine. */
export const loadConfig = (file: string, instance?: string): Effect.Effect<Checked> =>
  readJsonFile(file).pipe(
    Effect.map((parsed) => {
      const decoded = Either.flatMap(
        Either.mapLeft(parsed, (finding): ReadonlyArray<Finding> => [finding]),
        (raw) => Either.map(decodeConfig(raw), (config) => ({ config, raw: raw as Readonly<Record<string, unknown>> }))
      )
      const base = instance === undefined ? { file } : { file, instance }
      return Either.match(decoded, {
        onLeft: (findings): Checked => ({ ...base, findings: findings.map(locate(file, instance)) }),
        onRight: ({ config, raw }): Checked => ({ ...base, config, raw, findings: [] })
      })
    })
  )

/** `orch config validate`: the schema first, then (if it holds) the machine checks. */
export const validateFile = (home: string, file: string, instance?: string): Effect.Effect<Checked> =>
  loadConfig(file, instance).pipe(
    Effect.flatMap((loaded) =>
      loaded.config === undefined
        ? Effect.succeed(loaded)
        : checkMachine(home, file, loaded.config).pipe(
            Effect.map((findings) => ({ ...loaded, findings: findings.map(locate(file, instance)) }))
          )
    )
  )

export interface Linted {
  readonly instances: ReadonlyArray<Checked>
  readonly findings: ReadonlyArray<FileFinding>
}

/**
 * `orch config lint`: every instance of the home, then the rules across instances, and orch.json,
 * whose gateway.groups the instances name (not judged while orch.json itself has problems).
 */
export const lintHome = (home: string): Effect.Effect<Linted> =>
  Effect.gen(function* () {
    const discovered = yield* discoverInstances(home)
    const instances = yield* Effect.forEach(
      discovered.names,
      (name) => validateFile(home, configFile(home, name), name),
      // One instance at a time: two instances on one port would each see the other's probe bind.
      { concurrency: 1 }
    )
    const settings = yield* readSettings(home)
    const decoded = instances.flatMap((checked) =>
      checked.config === undefined || checked.instance === undefined ? [] : [{ instance: checked.instance, config: checked.config }]
    )
    const listeners = decoded.map(({ instance, config }) => ({ instance, host: config.server.host, port: config.server.port }))
    const gateways = decoded.map(({ instance, config }) => ({ instance, ...config.gateway }))
    const across: ReadonlyArray<InstanceFinding> = [
      ...Array.from(portCollisions(listeners), ([instance, finding]) => ({ instance, ...finding })),
      ...aliasClashes(gateways, discovered.names),
      ...(Either.isRight(settings) ? undefinedGroups(gateways, Object.keys(settings.right.gateway.groups)) : [])
    ]
    const findings = instances.flatMap((checked) => [
      ...checked.findings,
      ...across.filter((finding) => finding.instance === checked.instance).map(locate(checked.file, checked.instance))
    ])
    return { instances, findings: [...discovered.findings, ...findings, ...(Either.isLeft(settings) ? settings.left : [])] }
  })
