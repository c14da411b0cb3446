import * as fs from "node:fs"
import * as path from "node:path"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { InstanceConfig } from "../../src/domain/config.js"
import { keysAt } from "../../src/domain/schema-paths.js"
import { runnableConfig, tempHome, writeConfig, writeModel } from "../support/home.js"
import { INTERNAL_WORDING, STACK_LINE, hostileFile, hostileString } from "../support/hostile.js"
import { type InProcessRun, orchInProcess } from "../support/in-process.js"
import { hasStackTrace, orch } from "../support/orch.js"
import { tree } from "../support/tree.js"

/**
 * Every reader of user input, fed thousands of generated hostile inputs through the program a
 * user runs: exit 0 or 1 (never a crash), a message that names the file and field (or option),
 * none of the schema library's words, no stack trace, nothing written. The runs go through the
 * CLI in this process (src/cli/run.ts, what `orch` runs); a sample also goes through the built
 * `orch`, to show the bundle answers the same.
 */

const RUNS = 1_000
const SAMPLE = 12

const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/

/** Every field path of the instance config, sections included. */
const configPaths = (prefix: ReadonlyArray<string> = []): Array<Array<string>> =>
  keysAt(InstanceConfig.ast, prefix).flatMap((key) => [[...prefix, key], ...configPaths([...prefix, key])])

interface Finding {
  readonly file: string
  readonly field: string
  readonly problem: string
  readonly hint: string
}

/**
 * `written` is what the user wrote: a key or value of theirs spelled NaN or undefined is theirs
 * to see again (a table's field column shows an unknown key as written, unquoted).
 */
const expectPlain = (run: InProcessRun | { readonly stdout: string; readonly stderr: string }, what: string, written: string) => {
  const out = run.stdout + run.stderr
  const internal = [...out.matchAll(new RegExp(INTERNAL_WORDING, "g"))].map((match) => match[0]).find((word) => !(/^(NaN|undefined)$/.test(word) && written.includes(word)))
  expect(internal, `${what}\n${out.slice(0, 2_000)}`).toBeUndefined()
  expect(STACK_LINE.test(out), `${what}\n${out.slice(0, 2_000)}`).toBe(false)
}

/** A finding as a user needs it: the file, a field written as in the file (or the whole file), words without raw control characters. */
const expectUsable = (finding: Finding, file: string, fields: ReadonlyArray<string>, what: string) => {
  expect(finding.file, what).toBe(file)
  expect(finding.field === "" || fields.some((field) => finding.field === field || finding.field.startsWith(`${field}.`) || finding.field.startsWith(`${field}[`)), `${what}: field ${finding.field}`).toBe(true)
  expect(finding.problem.length, what).toBeGreaterThan(0)
  expect(finding.hint.length, what).toBeGreaterThan(0)
  expect(CONTROL.test(finding.field + finding.problem + finding.hint), `${what}: ${JSON.stringify(finding)}`).toBe(false)
  expect(finding.problem.length, `${what}: ${finding.problem}`).toBeLessThanOrEqual(301)
}

const show = (bytes: Buffer) => JSON.stringify(bytes.toString("utf8").slice(0, 300))

/** The fields a finding may name: one of the file's own, or an unknown key, reported where it is written. */
const fieldsOf = (topFields: ReadonlyArray<string>) => (finding: Finding) => (finding.problem.startsWith("unknown key") ? [finding.field] : topFields)

describe("instance configs", () => {
  const paths = configPaths()
  const fields = fieldsOf([...new Set(paths.map((p) => p[0]!))])

  it(`config validate answers ${RUNS} hostile configs plainly and writes nothing`, async () => {
    const home = tempHome()
    writeModel(home)
    const file = writeConfig(home, "x", runnableConfig(1))
    await fc.assert(
      fc.asyncProperty(hostileFile(runnableConfig(1), paths), async (bytes) => {
        fs.writeFileSync(file, bytes)
        const before = tree(home)
        const run = await orchInProcess(["config", "validate", file, "--home", home, "--json"])
        const what = `config ${show(bytes)}`
        expect([0, 1], `${what}\n${run.stdout}${run.stderr}`).toContain(run.code)
        expectPlain(run, what, bytes.toString("utf8"))
        const report = JSON.parse(run.stdout) as { valid: boolean; findings: ReadonlyArray<Finding> }
        expect(report.valid, what).toBe(run.code === 0)
        if (run.code === 1) expect(report.findings.length, what).toBeGreaterThan(0)
        for (const finding of report.findings) expectUsable(finding, file, fields(finding), what)
        expect(tree(home), what).toEqual(before)
      }),
      { numRuns: RUNS }
    )
  }, 240_000)

  it("the built orch refuses a sample of them the same way: validate, up and lint, exit 1, nothing started or written", () => {
    const home = tempHome()
    writeModel(home)
    const file = writeConfig(home, "x", runnableConfig(1))
    let checked = 0
    for (const bytes of fc.sample(hostileFile(runnableConfig(1), paths), SAMPLE * 4)) {
      fs.writeFileSync(file, bytes)
      const before = tree(home)
      const validate = orch(["config", "validate", file, "--home", home])
      if (validate.code === 0) continue
      const what = `config ${show(bytes)}`
      for (const run of [validate, orch(["up", "x", "--no-wait", "--home", home]), orch(["config", "lint", "--home", home])]) {
        expect(run.code, `${what}\n${run.stdout}${run.stderr}`).toBe(1)
        expect(hasStackTrace(run), what).toBe(false)
        expectPlain(run, what, bytes.toString("utf8"))
        expect(run.stdout + run.stderr, what).toContain("x")
      }
      expect(tree(home), what).toEqual(before)
      if (++checked === SAMPLE) break
    }
    expect(checked).toBe(SAMPLE)
  }, 120_000)
})

describe("autostart.json", () => {
  const paths = [["instances"], ["instances", "0"], ["delay"], ["$schema"], ["instances", "0", "name"], ["instances", "0", "delay"], ["instances", "0", "order"]]
  const good = { instances: ["x", { name: "x", order: 1, delay: "1s" }], delay: "2s" }
  const fields = fieldsOf(["instances", "delay", "$schema"])

  it(`config lint answers ${RUNS} hostile autostart.json files plainly and writes nothing`, async () => {
    const home = tempHome()
    writeModel(home)
    writeConfig(home, "x", runnableConfig(1))
    const file = path.join(home, "autostart.json")
    await fc.assert(
      fc.asyncProperty(fc.oneof(hostileFile(good, paths), hostileFile(["x"], [["0"], ["1"]])), async (bytes) => {
        fs.writeFileSync(file, bytes)
        const before = tree(home)
        const run = await orchInProcess(["config", "lint", "--home", home, "--json"])
        const what = `autostart.json ${show(bytes)}`
        expect([0, 1], `${what}\n${run.stdout}${run.stderr}`).toContain(run.code)
        expectPlain(run, what, bytes.toString("utf8"))
        const report = JSON.parse(run.stdout) as { valid: boolean; findings: ReadonlyArray<Finding> }
        expect(report.valid, what).toBe(run.code === 0)
        // The config itself is good (port 1 is refused as in use or privileged, by the machine checks only).
        for (const finding of report.findings.filter((f) => f.file === file)) expectUsable(finding, file, fields(finding), what)
        expect(tree(home), what).toEqual(before)
      }),
      { numRuns: RUNS }
    )
  }, 240_000)

  it("the built orch's daemon autostart refuses a sample of them: exit 1, no journal, no daemon", () => {
    const home = tempHome()
    writeModel(home)
    writeConfig(home, "x", runnableConfig(1))
    const file = path.join(home, "autostart.json")
    let checked = 0
    for (const bytes of fc.sample(hostileFile(good, paths), SAMPLE * 4)) {
      fs.writeFileSync(file, bytes)
      const before = tree(home)
      const lint = orch(["config", "lint", "--home", home, "--json"])
      const own = (JSON.parse(lint.stdout) as { findings: ReadonlyArray<Finding> }).findings.filter((f) => f.file === file)
      if (own.length === 0) continue
      const what = `autostart.json ${show(bytes)}`
      const run = orch(["daemon", "autostart", "--home", home])
      expect(run.code, `${what}\n${run.stdout}${run.stderr}`).toBe(1)
      expect(hasStackTrace(run), what).toBe(false)
      expectPlain(run, what, bytes.toString("utf8"))
      expect(run.stdout, what).toContain(file)
      expect(tree(home), what).toEqual(before)
      if (++checked === SAMPLE) break
    }
    expect(checked).toBe(SAMPLE)
  }, 120_000)
})

describe("option values", () => {
  /** Each option with a command that takes it; the home has instance x and no journal. */
  const OPTIONS: ReadonlyArray<readonly [option: string, args: (value: string) => ReadonlyArray<string>]> = [
    ["--since", (value) => ["events", "--since", value]],
    ["--since", (value) => ["logs", "x", "--since", value]],
    ["--until", (value) => ["replay", "--until", value]],
    ["--tail", (value) => ["logs", "x", "--tail", value]],
    ["--limit", (value) => ["events", "--limit", value]],
    ["--type", (value) => ["events", "--type", value]]
  ]
  const value = fc.oneof(hostileString, fc.integer().map(String), fc.double().map(String), fc.date({ noInvalidDate: true }).map((date) => date.toISOString()))

  it(`${RUNS} hostile values of each of --since, --until, --tail, --limit, --type: exit 0 or 1, the option named, nothing written`, async () => {
    const home = tempHome()
    writeModel(home)
    writeConfig(home, "x", runnableConfig(1))
    const before = tree(home)
    for (const [option, args] of OPTIONS) {
      await fc.assert(
        fc.asyncProperty(value, async (text) => {
          const run = await orchInProcess([...args(text), "--home", home])
          const what = `${args(JSON.stringify(text).slice(0, 200)).join(" ")}`
          expect([0, 1], `${what}\n${run.stdout}${run.stderr}`).toContain(run.code)
          expectPlain(run, what, text)
          if (run.code === 1) expect(run.stderr, what).toContain(`error: ${option}:`)
        }),
        { numRuns: RUNS }
      )
    }
    expect(tree(home)).toEqual(before)
  }, 240_000)

  it("the built orch answers a sample the same way", () => {
    const home = tempHome()
    writeModel(home)
    writeConfig(home, "x", runnableConfig(1))
    const before = tree(home)
    for (const [option, args] of OPTIONS) {
      // An argument of 128 KiB or more, or one holding a NUL, cannot reach a process at all
      // (Linux's MAX_ARG_STRLEN; C strings): the in-process runs above take those.
      for (const text of fc.sample(value.filter((text) => text.length < 100_000 && !text.includes("\u0000")), 3)) {
        const run = orch([...args(text), "--home", home])
        const what = args(JSON.stringify(text).slice(0, 200)).join(" ")
        expect([0, 1], `${what}\n${run.stdout}${run.stderr}`).toContain(run.code)
        expect(hasStackTrace(run), what).toBe(false)
        expectPlain(run, what, text)
        if (run.code === 1) expect(run.stderr, what).toContain(`error: ${option}:`)
      }
    }
    expect(tree(home)).toEqual(before)
  }, 120_000)
})
