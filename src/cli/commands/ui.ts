import { spawn } from "node:child_process"
import { Command, Options } from "@effect/cli"
import { Console, Effect } from "effect"
import { ExitCode } from "../errors.js"
import { homeFrom, homeOption, jsonOption } from "../options.js"
import { bad } from "../view/findings.js"
import { printJson } from "../view/json.js"
import { paint } from "../view/palette.js"
import { listeningApi } from "./api.js"

/** The program that opens a URL in the user's browser: $BROWSER where it is set, else the system's own. */
const opener = (url: string): [string, ReadonlyArray<string>] => {
  const browser = process.env["BROWSER"]
  if (browser !== undefined && browser !== "") return [browser, [url]]
  if (process.platform === "darwin") return ["open", [url]]
  if (process.platform === "win32") return ["cmd", ["/c", "start", "", url]]
  return ["xdg-open", [url]]
}

/** Starts the browser and lets it live on: resolves once it has started, or with why it could not. */
const openInBrowser = (url: string) =>
  Effect.async<string | undefined>((resume) => {
    const [command, args] = opener(url)
    const child = spawn(command, args, { detached: true, stdio: "ignore" })
    child.once("error", (error) => resume(Effect.succeed(`${command}: ${error.message}`)))
    child.once("spawn", () => {
      child.unref()
      resume(Effect.succeed(undefined))
    })
  })

export const ui = Command.make(
  "ui",
  {
    home: homeOption,
    json: jsonOption,
    open: Options.boolean("open").pipe(Options.withDescription("Open it in the browser ($BROWSER, else the system's) (default: off)"))
  },
  (options) =>
    Effect.gen(function* () {
      const found = yield* listeningApi(homeFrom(options.home), options.json)
      const url = `${found.url}/${found.token === undefined ? "" : `?token=${found.token}`}`
      if (options.json) yield* printJson({ url, console: `${found.url}/` })
      else yield* Console.log(`${url}  ${paint.dim("(open it once: the browser then keeps the token in a cookie)")}`)
      if (!options.open) return
      const failed = yield* openInBrowser(url)
      if (failed === undefined) return
      yield* bad(`could not open a browser (${failed}): open the URL above by hand, or set BROWSER to the program that opens one`)
      return yield* new ExitCode({ code: 1 })
    })
).pipe(Command.withDescription("Print the web console's URL with the daemon's token (--open: open it in a browser); exit 1 if the daemon serves no API"))
