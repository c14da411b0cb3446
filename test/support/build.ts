import { execFileSync } from "node:child_process"

/** The end-to-end tests run the bundled `orch`, so bundle it once before any test runs. */
export default function setup() {
  execFileSync(process.execPath, ["scripts/build.mjs"], { stdio: "inherit" })
}
