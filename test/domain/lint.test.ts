import { describe, expect, it } from "vitest"
import { type Listener, portCollisions } from "../../src/domain/lint.js"
import { candidatePorts } from "../../src/domain/profiles.js"

const at = (instance: string, host: string, port: number): Listener => ({ instance, host, port })

describe("portCollisions", () => {
  it.each([
    ["distinct ports", [at("a", "127.0.0.1", 8080), at("b", "127.0.0.1", 8081)], []],
    ["same port, other hosts", [at("a", "127.0.0.1", 8080), at("b", "127.0.0.2", 8080)], []],
    ["same host and port", [at("a", "127.0.0.1", 8080), at("b", "127.0.0.1", 8080)], ["a", "b"]],
    ["a wildcard overlaps every host", [at("a", "0.0.0.0", 8080), at("b", "127.0.0.1", 8080), at("c", "127.0.0.1", 9000)], ["a", "b"]],
    ["three on one port", [at("a", "::", 7000), at("b", "::", 7000), at("c", "::", 7000)], ["a", "b", "c"]]
  ] as const)("%s", (_, listeners, colliding) => {
    expect([...portCollisions(listeners).keys()]).toEqual(colliding)
  })

  it("names the other instances in the problem", () => {
    const findings = portCollisions([at("a", "127.0.0.1", 8080), at("b", "127.0.0.1", 8080), at("c", "0.0.0.0", 8080)])
    expect(findings.get("a")).toEqual({
      field: "server.port",
      problem: "127.0.0.1:8080 is also used by b, c",
      hint: "give each instance its own port (`orch init` picks a free one)"
    })
  })
})

describe("candidatePorts", () => {
  it("counts up from 8080, skipping used ports", () => {
    const ports = candidatePorts(new Set([8080, 8082]))
    expect([ports.next().value, ports.next().value, ports.next().value]).toEqual([8081, 8083, 8084])
  })

  it("ends at 65535", () => {
    expect([...candidatePorts(new Set([65534]), 65533)]).toEqual([65533, 65535])
  })
})
