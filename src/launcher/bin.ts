import * as fs from "node:fs"
import Module from "node:module"
import * as path from "node:path"
import * as vm from "node:vm"
import { parseThin } from "./thin-argv.js"

/**
 * `orch` itself: loads the full CLI; or for the commands run all day and from scripts (`ps`,
 * `health`, `describe`, `up --no-wait`…) the thin client of the running daemon, and where none
 * answers, the full CLI (or for `ps` a bundle without the CLI framework) reading the journal itself.
 * Most of a cold start is V8 compiling the bundle, so the compiled code is kept in dist/.v8-cache
 * (V8's code cache; Node 20 has no module compile cache of its own) and reused while the bundle
 * and node are the same (how much that saves: bench/RESULTS.md).
 * Where dist is not writable, everything works, only slower.
 */
const load = (bundle: string): unknown => {
  const file = path.join(__dirname, bundle)
  const stat = fs.statSync(file)
  const cacheDir = path.join(__dirname, ".v8-cache")
  const cacheFile = path.join(cacheDir, `${bundle}-${process.version}-${process.arch}-${stat.size}-${Math.trunc(stat.mtimeMs)}.bin`)
  let cachedData: Buffer | undefined
  try {
    cachedData = fs.readFileSync(cacheFile)
  } catch {
    cachedData = undefined
  }
  const script = new vm.Script(Module.wrap(fs.readFileSync(file, "utf8").replace(/^#!.*/, "")), { filename: file, ...(cachedData === undefined ? {} : { cachedData }) })
  if (cachedData === undefined || script.cachedDataRejected === true) {
    // At exit, so the cache holds the functions this run compiled too, not only the top level.
    process.once("exit", () => {
      try {
        fs.mkdirSync(cacheDir, { recursive: true })
        for (const old of fs.readdirSync(cacheDir)) if (old.startsWith(`${bundle}-`)) fs.rmSync(path.join(cacheDir, old), { force: true })
        const temporary = `${cacheFile}.${process.pid}`
        fs.writeFileSync(temporary, script.createCachedData())
        fs.renameSync(temporary, cacheFile)
      } catch {
        // A cache we cannot write only costs speed.
      }
    })
  }
  const loaded = new Module(file, module)
  loaded.filename = file
  loaded.paths = (Module as unknown as { _nodeModulePaths: (dir: string) => Array<string> })._nodeModulePaths(path.dirname(file))
  script.runInThisContext()(loaded.exports, Module.createRequire(file), loaded, file, path.dirname(file))
  return loaded.exports
}

const thin = parseThin(process.argv.slice(2))
if (thin === undefined) load("orch-cli.cjs")
else {
  const { answer } = load("orch-thin.cjs") as typeof import("./thin.js")
  // A view that cannot draw an answer has printed nothing yet: the full CLI says it from the journal.
  void answer(thin)
    .catch(() => false)
    .then((answered) => answered || load(thin.command === "ps" ? "orch-ps.cjs" : "orch-cli.cjs"))
}
