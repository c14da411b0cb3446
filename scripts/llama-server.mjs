// Builds the real llama-server from the llama.cpp source that the npm package node-llama-cpp ships
// (llama/gitRelease.bundle), so tests and benchmarks run it on any machine that reaches the npm
// registry: no other download. The result is kept outside the repo in a folder keyed by the
// bundle's commit, so a machine builds it once (10–25 minutes on two cores). The command is
// scripts/llama-server-build.mjs; the tests' global setup and the benchmarks call `build`.
import { spawn, execFileSync } from "node:child_process"
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs"
import { homedir, tmpdir } from "node:os"
import { join } from "node:path"

const PACKAGE = "node-llama-cpp@3.21.1"
// The bundle's HEAD in that release: checked after the clone, so the cache key cannot lie.
const COMMIT = "80fb11ac73e66d89eae2c6a91d8a77428fa733ed"

const cacheRoot = process.env.ORCH_LLAMA_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "llama-orchestrator")
export const cacheDir = join(cacheRoot, `llama-server-${COMMIT.slice(0, 12)}`)
export const binaryPath = join(cacheDir, "llama-server")

// Portable (no -march=native: the cache may outlive the CPU it was built on), static, CPU only,
// and nothing that would fetch from the network at configure time (the web UI, OpenSSL).
const CMAKE_OPTIONS = [
  "-DCMAKE_BUILD_TYPE=Release",
  "-DBUILD_SHARED_LIBS=OFF",
  "-DGGML_NATIVE=OFF",
  "-DLLAMA_OPENSSL=OFF",
  "-DLLAMA_BUILD_UI=OFF",
  "-DLLAMA_USE_PREBUILT_UI=OFF",
  "-DLLAMA_BUILD_TESTS=OFF",
  "-DLLAMA_BUILD_EXAMPLES=OFF",
  "-DLLAMA_BUILD_APP=OFF",
  "-DLLAMA_BUILD_TOOLS=ON",
  "-DLLAMA_BUILD_SERVER=ON"
]

const say = (line) => process.stderr.write(`llama-server build: ${line}\n`)

export class BuildFailed extends Error {}

const run = (command, args, options, log) =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] })
    let last = ""
    let shown = -1
    const onData = (chunk) => {
      log.write(chunk)
      const text = chunk.toString()
      last = (last + text).slice(-4000)
      // make prints "[ 42%] Building CXX object …": show the percentage as it climbs.
      for (const match of text.matchAll(/\[\s*(\d+)%\]/g)) {
        const percent = Number(match[1])
        if (percent >= shown + 5 || (percent === 100 && shown !== 100)) {
          shown = percent
          say(`${percent}%`)
        }
      }
    }
    child.stdout.on("data", onData)
    child.stderr.on("data", onData)
    child.on("error", (error) => reject(new BuildFailed(`${command} could not start: ${error.message}`)))
    child.on("close", (code, signal) =>
      code === 0
        ? resolve()
        : reject(new BuildFailed(`${command} ${args.slice(0, 2).join(" ")} ended with ${signal ?? `exit ${code}`}:\n${last.trim().split("\n").slice(-15).join("\n")}`))
    )
  })

export async function build() {
  if (existsSync(binaryPath)) return binaryPath
  for (const tool of ["git", "cmake", "make", "g++"]) {
    try {
      execFileSync(tool, ["--version"], { stdio: "ignore" })
    } catch {
      throw new BuildFailed(`${tool} is not installed; the build needs git, cmake, make and g++ (Debian: apt-get install -y git cmake make g++)`)
    }
  }
  mkdirSync(cacheRoot, { recursive: true })
  const work = mkdtempSync(join(tmpdir(), "llama-server-build-"))
  const logPath = join(cacheRoot, `build-${COMMIT.slice(0, 12)}.log`)
  const log = createWriteStream(logPath)
  const started = Date.now()
  try {
    say(`building llama.cpp ${COMMIT.slice(0, 12)} from ${PACKAGE} into ${cacheDir} (once per machine; 10–25 minutes on two cores; log: ${logPath})`)
    await run("npm", ["pack", PACKAGE, "--silent", "--pack-destination", work], { cwd: work }, log)
    const tarball = execFileSync("sh", ["-c", "ls node-llama-cpp-*.tgz"], { cwd: work, encoding: "utf8" }).trim()
    await run("tar", ["xzf", tarball, "package/llama/gitRelease.bundle"], { cwd: work }, log)
    await run("git", ["clone", "--quiet", join(work, "package/llama/gitRelease.bundle"), "src"], { cwd: work }, log)
    const head = execFileSync("git", ["rev-parse", "HEAD"], { cwd: join(work, "src"), encoding: "utf8" }).trim()
    if (head !== COMMIT) throw new BuildFailed(`${PACKAGE}'s bundle is at ${head}, expected ${COMMIT}: update COMMIT in scripts/llama-server.mjs`)
    say("configuring")
    await run("cmake", ["-S", "src", "-B", "build", ...CMAKE_OPTIONS], { cwd: work }, log)
    say("compiling")
    await run("cmake", ["--build", "build", "--target", "llama-server", "-j2"], { cwd: work }, log)
    mkdirSync(cacheDir, { recursive: true })
    // Renamed into place last, so a build stopped half-way never leaves a binary that looks done.
    const staged = join(cacheDir, `llama-server.${process.pid}`)
    execFileSync("cp", [join(work, "build/bin/llama-server"), staged])
    renameSync(staged, binaryPath)
    say(`done in ${Math.round((Date.now() - started) / 1000)} s: ${binaryPath}`)
    return binaryPath
  } catch (error) {
    if (error instanceof BuildFailed) throw new BuildFailed(`${error.message}\nThe whole log: ${logPath}`)
    throw error
  } finally {
    log.end()
    rmSync(work, { recursive: true, force: true })
  }
}
