// The README's first command: orch supervising simulated llama-servers in a temporary home,
// so it runs on a machine without llama.cpp. It starts two instances from this repository's
// demo home (instances/), kills the daemon with -9, shows the next daemon adopting the same
// servers, follows the crashing one through its restarts to the give-up, prints its health,
// `orch ps`, `describe`, its log and the journal, and cleans up every process it started.
// `orch dashboard` in another terminal shows it live (the home's path is printed first).
//
// With a model (`npm run demo -- --model PATH [--binary CMD]`) and llama-server on PATH (or
// named), demo-chat is a real llama-server with that model, and the demo also kills it with -9
// to show the restart; demo-flaky stays simulated, as a real server crashes only by accident.
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

const repo = process.cwd()
const flag = (name) => {
  const at = process.argv.indexOf(name)
  return at === -1 ? undefined : process.argv[at + 1]
}
/** An executable file named, or found on PATH. */
const findBinary = (name) => {
  const candidates = name.includes(path.sep) ? [path.resolve(name)] : (process.env.PATH ?? "").split(path.delimiter).map((dir) => path.join(dir, name))
  return candidates.find((file) => {
    try {
      fs.accessSync(file, fs.constants.X_OK)
      return fs.statSync(file).isFile()
    } catch {
      return false
    }
  })
}
const model = flag("--model")
const real = model === undefined ? undefined : { model: path.resolve(model), binary: findBinary(flag("--binary") ?? "llama-server") }
if (real !== undefined && (real.binary === undefined || !fs.existsSync(real.model))) {
  process.stderr.write(real.binary === undefined ? `error: ${flag("--binary") ?? "llama-server"} is not on PATH: name it with --binary PATH\n` : `error: ${real.model}: no such model file\n`)
  process.exit(1)
}
const home = fs.mkdtempSync(path.join(os.tmpdir(), "orch-demo-"))
const orch = (args, { quiet = false } = {}) => {
  if (!quiet) process.stdout.write(`\n$ orch ${args.join(" ")}\n`)
  const run = spawnSync(process.execPath, ["dist/orch.cjs", ...args, "--home", home], { cwd: repo, stdio: quiet ? "pipe" : "inherit", encoding: "utf8" })
  return run
}
const say = (text) => process.stdout.write(`\n# ${text}\n`)
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// The demo home's configs, with their paths made absolute for the temporary home.
for (const name of ["demo-chat", "demo-flaky"]) {
  const config = JSON.parse(fs.readFileSync(path.join(repo, "instances", name, "config.json"), "utf8"))
  delete config.$schema
  config.model.path = path.join(repo, config.model.path)
  config.binary = [process.execPath, path.join(repo, config.binary[1])]
  if (name === "demo-chat" && real !== undefined) {
    Object.assign(config, { binary: real.binary, args: [] })
    config.model.path = real.model
    config.healthcheck.start_period = "10m"
  }
  fs.mkdirSync(path.join(home, "instances", name), { recursive: true })
  fs.writeFileSync(path.join(home, "instances", name, "config.json"), JSON.stringify(config, null, 2))
}

// Any free port for the API, so that the demo never meets a daemon of the user's on 7433.
fs.writeFileSync(path.join(home, "orch.json"), JSON.stringify({ http: { listen: "127.0.0.1:0" } }, null, 2))

/** What the daemon's HTTP API answers, as a script would ask it. */
const showApi = async () => {
  const found = orch(["api", "--json"], { quiet: true })
  if (found.status !== 0) return say(`no API: ${found.stdout.trim()}`)
  const api = JSON.parse(found.stdout)
  const headers = { authorization: `Bearer ${api.token}` }
  process.stdout.write(`\n$ curl -H "Authorization: Bearer $TOKEN" ${api.url}/instances\n`)
  const rows = await (await fetch(`${api.url}/instances`, { headers })).json()
  for (const row of rows) process.stdout.write(`${row.name}: ${row.status}, ${row.health ?? "-"}, ${row.restarts} restarts\n`)
  process.stdout.write(`\n$ curl ${api.metrics} | grep orch_instance_restarts_total\n`)
  const metrics = await (await fetch(api.metrics)).text()
  process.stdout.write(`${metrics.split("\n").filter((line) => line.startsWith("orch_instance_restarts_total")).join("\n")}\n`)
}

/** One chat completion through the gateway on the same listener, as an OpenAI client sends it. */
const showGateway = async () => {
  const found = orch(["api", "--json"], { quiet: true })
  if (found.status !== 0) return
  const origin = new URL(JSON.parse(found.stdout).url).origin
  const body = JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Say hello" }], max_tokens: 8 })
  process.stdout.write(`\n$ curl ${origin}/v1/chat/completions -d '${body}'\n`)
  const answer = await (await fetch(`${origin}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body })).json()
  process.stdout.write(`${answer.choices?.[0]?.message?.content ?? JSON.stringify(answer)}\n`)
}

try {
  say(`a temporary home: ${home} (watch it live from another terminal: node dist/orch.cjs dashboard --home ${home})`)
  if (real !== undefined) say(`demo-chat is ${real.binary} with ${real.model}`)
  orch(["config", "lint"])
  orch(["up", "demo-chat", "demo-flaky", "--timeout", real === undefined ? "60" : "900"])
  orch(["daemon", "status"])
  const pid = fs.readFileSync(path.join(home, "journal", "daemon.pid"), "utf8").split(" ")[0]
  say(`kill -9 the daemon (pid ${pid}): its servers keep running`)
  process.kill(Number(pid), "SIGKILL")
  await sleep(300)
  orch(["daemon", "status"])
  say("any orch command brings a daemon back; it adopts the same servers")
  orch(["up", "demo-chat"])
  if (real !== undefined) {
    const server = JSON.parse(orch(["describe", "demo-chat", "--json"], { quiet: true }).stdout).pid
    say(`kill -9 llama-server (pid ${server}): the daemon sees it exit and starts it again after 1 s (its restart_policy)`)
    process.kill(server, "SIGKILL")
    for (let waited = 0; waited < 900; waited++) {
      await sleep(1_000)
      const now = JSON.parse(orch(["describe", "demo-chat", "--json"], { quiet: true }).stdout || "{}")
      if (typeof now.pid === "number" && now.pid !== server && now.health === "healthy") break
    }
    orch(["events", "--instance", "demo-chat", "--type", "ProcessExited,RestartScheduled,ProcessSpawned"])
  }
  say("demo-flaky crashes 4 s after each start (--sim-crash-after-ms): the daemon restarts it after 1 s, 2 s and 4 s (its restart_policy), then gives up")
  let shown = ""
  for (let waited = 0; waited < 60 && shown !== "failed"; waited++) {
    const status = JSON.parse(orch(["health", "demo-flaky", "--json"], { quiet: true }).stdout || "{}").status ?? "unknown"
    if (status !== shown) process.stdout.write(`  ${String(waited).padStart(2)} s: demo-flaky is ${(shown = status)}\n`)
    await sleep(1_000)
  }
  orch(["health", "demo-flaky", "--last", "5"])
  orch(["health", "--all"])
  orch(["ps"])
  say("the same, from the daemon's HTTP API (docs at the URL `orch api` prints)")
  orch(["api"])
  await showApi()
  say("the OpenAI-compatible gateway on the same address: the model is demo-chat's alias gpt-4o-mini, and the request is journaled (never its text)")
  await showGateway()
  // Request records are committed in batches, within a second (bench/RESULTS.md, issue 19).
  await sleep(1_100)
  orch(["events", "--type", "RequestServed"])
  orch(["describe", "demo-flaky"])
  orch(["logs", "demo-flaky", "--stderr", "--tail", "5"])
  orch(["events", "--instance", "demo-flaky", "--type", "ProcessSpawned,ProcessExited,ProcessLost,RestartScheduled,RestartGaveUp"])
  orch(["replay"])
} finally {
  orch(["daemon", "stop", "--all"])
  fs.rmSync(home, { recursive: true, force: true })
}
