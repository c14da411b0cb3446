// The README's first command: what orch does today, on this repository's own demo home
// (instances/demo-chat and instances/demo-flaky run the llama-server simulator in test/sim).
import { spawnSync } from "node:child_process"

const step = (title, args) => {
  process.stdout.write(`\n$ orch ${args.join(" ")}    # ${title}\n`)
  const run = spawnSync(process.execPath, ["dist/orch.cjs", ...args], { stdio: "inherit" })
  if (run.status !== 0) process.exit(run.status ?? 1)
}

step("every command", ["--help"])
step("check every instance of the demo home", ["config", "lint", "--home", "."])
step("one config, checked against this machine", ["config", "validate", "instances/demo-chat/config.json", "--home", "."])
