// `npm run llama-server:build`: builds the real llama-server unless this machine has it (see
// llama-server.mjs), and prints its path; `--path` prints where it is or would be, building nothing.
import { BuildFailed, binaryPath, build } from "./llama-server.mjs"

if (process.argv.includes("--path")) {
  process.stdout.write(`${binaryPath}\n`)
} else {
  try {
    process.stdout.write(`${await build()}\n`)
  } catch (error) {
    process.stderr.write(`llama-server build: failed: ${error instanceof BuildFailed ? error.message : error.stack}\n`)
    process.exit(1)
  }
}
