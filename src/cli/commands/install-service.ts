import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { Command, Options } from "@effect/cli"
import { Console, Effect, Option } from "effect"
import { BadOption } from "../../app/errors.js"
import { PLATFORMS, type ServiceFile, plan, specFor, thisPlatform } from "../../app/service.js"
import { ExitCode } from "../errors.js"
import { homeFrom, homeOption } from "../options.js"
import { bad, ok } from "../view/findings.js"
import { paint } from "../view/palette.js"

/** Runs one command: its complaint if it fails (no systemd, no user session, not an administrator...). */
const runCommand = (command: ReadonlyArray<string>): string | undefined => {
  const run = spawnSync(command[0]!, command.slice(1), { encoding: "utf8" })
  if (run.error !== undefined) return run.error.message
  return run.status === 0 ? undefined : (run.stderr || run.stdout).trim() || `exit ${run.status}`
}
/** The commands in turn, until one fails: what it said. */
const runAll = (commands: ReadonlyArray<ReadonlyArray<string>>) => {
  for (const command of commands) {
    const said = runCommand(command)
    if (said !== undefined) return { command, said }
  }
  return undefined
}
const shown = (command: ReadonlyArray<string>) => command.map((word) => (/\s/.test(word) ? `"${word}"` : word)).join(" ")

const writeFile = (file: ServiceFile) =>
  Effect.try({
    try: () => {
      fs.mkdirSync(path.dirname(file.file), { recursive: true })
      fs.writeFileSync(file.file, file.utf16 === true ? Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(file.text, "utf16le")]) : file.text)
    },
    catch: (error) => error
  }).pipe(Effect.catchAll((error) => Effect.zipRight(bad(`could not write ${file.file}: ${String(error)}`), new ExitCode({ code: 1 }))))

export const installService = Command.make(
  "install-service",
  {
    user: Options.boolean("user").pipe(Options.withDescription("Start the daemon when you log in (systemd: at boot with `loginctl enable-linger`) (the default)")),
    system: Options.boolean("system").pipe(Options.withDescription("Start the daemon at boot, as you (needs root or an administrator)")),
    print: Options.boolean("print").pipe(Options.withDescription("Print the service files and install nothing (default: off)")),
    uninstall: Options.boolean("uninstall").pipe(Options.withDescription("Stop, disable and remove the service (default: off)")),
    platform: Options.choice("platform", PLATFORMS).pipe(
      Options.optional,
      Options.withDescription("linux: a systemd unit; macos: a launchd plist; windows: a Task Scheduler task and an NSSM script (default: this machine's; another only with --print)")
    ),
    home: homeOption
  },
  (options) =>
    Effect.gen(function* () {
      if (options.user && options.system) return yield* new BadOption({ option: "--system", problem: "a service is either --user or --system", hint: "drop one of them" })
      const here = thisPlatform()
      const platform = Option.getOrUndefined(options.platform) ?? here
      if (platform === undefined) {
        return yield* new BadOption({ option: "install-service", problem: `knows systemd, launchd and Windows; this is ${process.platform}`, hint: "add --platform linux|macos|windows --print to see a service file to adapt" })
      }
      if (platform !== here && !options.print) {
        return yield* new BadOption({ option: "--platform", problem: `${platform} services are installed on ${platform}; this is ${process.platform}`, hint: "add --print to see the files, or run this on that machine" })
      }
      const steps = plan(platform, specFor(homeFrom(options.home), options.system ? "system" : "user"))
      if (options.print) return yield* Console.log(steps.files.map(({ file, text }) => `# ${file}\n${text}`).join("\n"))
      if (options.uninstall) {
        const failed = runAll(steps.disable)
        for (const { file } of steps.files) fs.rmSync(file, { force: true })
        runAll(steps.forget)
        const note = failed === undefined ? "" : paint.dim(` (${failed.command[0]}: ${failed.said})`)
        return yield* ok(`removed ${steps.files.map(({ file }) => file).join(", ")}${note}; the servers it started keep running until \`orch down --all\``)
      }
      for (const file of steps.files) {
        yield* writeFile(file)
        yield* ok(`wrote ${file.file}`)
      }
      const failed = runAll(steps.enable)
      if (failed !== undefined) {
        yield* bad(`${failed.command[0]} could not enable it: ${failed.said}`)
        yield* Console.log(paint.dim(`hint: once that is fixed, run \`${steps.enable.map(shown).join(" && ")}\``))
        return yield* new ExitCode({ code: 1 })
      }
      yield* ok(steps.enabled)
    })
).pipe(
  Command.withDescription(
    "Run the daemon as a service that starts at boot or login, with the instances of autostart.json: systemd, launchd or Task Scheduler (--print shows the files)"
  )
)
