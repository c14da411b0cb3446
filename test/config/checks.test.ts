import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { Effect, Either } from "effect"
import { describe, expect, it } from "vitest"
import { checkBinary, checkLogsDir, checkModel, checkPort } from "../../src/config/checks.js"
import { probePort } from "../../src/config/port.js"
import { decodeConfig } from "../../src/domain/lint.js"
import { runnableConfig, tempHome, writeModel } from "../support/home.js"
import { freePort, listen } from "../support/net.js"

const config = (raw: Record<string, unknown>) => Either.getOrThrow(decodeConfig(raw))

describe("checkModel", () => {
  it("accepts a file that starts with the GGUF magic, relative to the home", async () => {
    const home = tempHome()
    writeModel(home, "models/tiny.gguf")
    const found = await Effect.runPromise(checkModel(home, config(runnableConfig(8080, { model: { path: "models/tiny.gguf" } }))))
    expect(found).toEqual([])
  })

  it.each([
    ["safetensors", Buffer.from("{\"__metadata__\"")],
    ["empty", Buffer.alloc(0)],
    ["short", Buffer.from("GG")],
    ["lowercase magic", Buffer.from("gguf\u0003\u0000")]
  ])("refuses a file that is not GGUF (%s)", async (_, bytes) => {
    const home = tempHome()
    fs.writeFileSync(path.join(home, "model.gguf"), bytes)
    const found = await Effect.runPromise(checkModel(home, config(runnableConfig(8080))))
    expect(found).toHaveLength(1)
    expect(found[0]!.field).toBe("model.path")
    expect(found[0]!.problem).toMatch(/is not a GGUF model/)
  })

  it("reports a missing file and a folder", async () => {
    const home = tempHome()
    const missing = await Effect.runPromise(checkModel(home, config(runnableConfig(8080))))
    expect(missing[0]!.problem).toBe(`model file not found: ${path.join(home, "model.gguf")}`)
    fs.mkdirSync(path.join(home, "model.gguf"))
    const folder = await Effect.runPromise(checkModel(home, config(runnableConfig(8080))))
    expect(folder[0]!.problem).toBe(`${path.join(home, "model.gguf")} is a folder, not a file`)
  })

  // Opening a FIFO waits for a writer: the check must stat first, and never open in a way that blocks.
  it.each([
    ["a FIFO", (file: string) => {
      execFileSync("mkfifo", [file])
    }, "a FIFO"],
    ["a symlink to a FIFO", (file: string) => {
      execFileSync("mkfifo", [`${file}.fifo`])
      fs.symlinkSync(`${file}.fifo`, file)
    }, "a FIFO"],
    ["a socket", async (file: string) => {
      // Listening while checked: closing the server removes its socket file.
      const server = net.createServer()
      await new Promise<void>((resolve) => server.listen(file, resolve))
      return () => server.close()
    }, "a socket"]
  ] as ReadonlyArray<readonly [string, (file: string) => void | Promise<() => void>, string]>)("refuses %s at once", async (_, make, kind) => {
    const home = tempHome()
    const file = path.join(home, "model.gguf")
    const cleanup = await make(file)
    try {
      const found = await Effect.runPromise(checkModel(home, config(runnableConfig(8080))))
      expect(found).toEqual([{ field: "model.path", problem: `${file} is ${kind}, not a file`, hint: "point model.path at a .gguf file" }])
    } finally {
      cleanup?.()
    }
  }, 5_000)

  it("refuses a device such as /dev/zero, which would read forever", async () => {
    const found = await Effect.runPromise(checkModel(tempHome(), config(runnableConfig(8080, { model: { path: "/dev/zero" } }))))
    expect(found.map((finding) => finding.problem)).toEqual(["/dev/zero is a character device, not a file"])
  }, 5_000)
})

describe("checkPort", () => {
  it("passes a free port and names a port in use by a real listener", async () => {
    const port = await freePort()
    expect(await Effect.runPromise(checkPort(config(runnableConfig(port))))).toEqual([])
    const busy = await listen()
    expect(await Effect.runPromise(checkPort(config(runnableConfig(busy))))).toEqual([
      { field: "server.port", problem: `127.0.0.1:${busy} is in use by another process`, hint: "stop that process or choose another port" }
    ])
  })

  it("reports an address this machine does not have", async () => {
    const found = await Effect.runPromise(checkPort(config(runnableConfig(await freePort(), { server: { host: "192.0.2.1", port: 9 } }))))
    expect(found[0]?.field).toBe("server.host")
    expect(found[0]?.problem).toMatch(/cannot listen on 192\.0\.2\.1:9 \(EADDRNOTAVAIL\)/)
  })

  it("leaves the port free after probing it", async () => {
    const port = await freePort()
    expect((await Effect.runPromise(probePort("127.0.0.1", port)))._tag).toBe("Free")
    expect((await Effect.runPromise(probePort("127.0.0.1", port)))._tag).toBe("Free")
  })
})

describe("checkLogsDir", () => {
  it("passes when the logs folder can be created, without creating it", async () => {
    const home = tempHome()
    const file = path.join(home, "instances", "a", "config.json")
    expect(await Effect.runPromise(checkLogsDir(file))).toEqual([])
    expect(fs.existsSync(path.join(home, "instances"))).toBe(false)
  })

  it("reports a file standing where the logs folder would go", async () => {
    const home = tempHome()
    const file = path.join(home, "instances", "a", "config.json")
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(path.join(home, "instances", "a", "logs"), "")
    const found = await Effect.runPromise(checkLogsDir(file))
    expect(found[0]?.field).toBe("logs")
    expect(found[0]?.problem).toMatch(/is not a folder/)
  })
})

describe("checkBinary", () => {
  it("finds a name on PATH, and the first word of an argv prefix", async () => {
    const home = tempHome()
    expect(await Effect.runPromise(checkBinary(home, config(runnableConfig(8080, { binary: "node" }))))).toEqual([])
    expect(await Effect.runPromise(checkBinary(home, config(runnableConfig(8080, { binary: ["node", "sim.js"] }))))).toEqual([])
  })

  it("reports a name that is not on PATH", async () => {
    const home = tempHome()
    const found = await Effect.runPromise(checkBinary(home, config(runnableConfig(8080, { binary: "llama-server" })), { PATH: home }))
    expect(found[0]?.problem).toBe('"llama-server" is not on PATH')
  })

  it("accepts an executable path relative to the home and refuses one that is not executable", async () => {
    const home = tempHome()
    fs.mkdirSync(path.join(home, "bin"))
    fs.writeFileSync(path.join(home, "bin", "llama-server"), "#!/bin/sh\n", { mode: 0o755 })
    fs.writeFileSync(path.join(home, "bin", "plain"), "", { mode: 0o644 })
    expect(await Effect.runPromise(checkBinary(home, config(runnableConfig(8080, { binary: "./bin/llama-server" }))))).toEqual([])
    const found = await Effect.runPromise(checkBinary(home, config(runnableConfig(8080, { binary: "bin/plain" }))))
    expect(found[0]?.problem).toBe(`${path.join(home, "bin", "plain")} is not an executable file`)
  })
})
