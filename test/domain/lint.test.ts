import { describe, expect, it } from "vitest"
import { type GatewayNames, type Listener, aliasClashes, portCollisions, undefinedGroups } from "../../src/domain/lint.js"
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

const named = (instance: string, aliases: ReadonlyArray<string>, group?: string): GatewayNames => ({ instance, aliases, group })

describe("aliasClashes", () => {
  it.each([
    ["no aliases", [named("a", []), named("b", [])], ["a", "b"], []],
    ["distinct aliases", [named("a", ["x", "y"]), named("b", ["z"])], ["a", "b"], []],
    ["aliases differing in case only", [named("a", ["Qwen"]), named("b", ["qwen"])], ["a", "b"], []],
    ["an alias shared by two", [named("a", ["x"]), named("b", ["y", "x"])], ["a", "b"], [
      ["a", "gateway.aliases[0]", '"x" is also an alias of b', 'keep "x" on one instance: a request for it must mean one'],
      ["b", "gateway.aliases[1]", '"x" is also an alias of a', 'keep "x" on one instance: a request for it must mean one']
    ]],
    ["an alias shared by three", [named("a", ["x"]), named("b", ["x"]), named("c", ["x"])], ["a", "b", "c"], [
      ["a", "gateway.aliases[0]", '"x" is also an alias of b, c', 'keep "x" on one instance: a request for it must mean one'],
      ["b", "gateway.aliases[0]", '"x" is also an alias of a, c', 'keep "x" on one instance: a request for it must mean one'],
      ["c", "gateway.aliases[0]", '"x" is also an alias of a, b', 'keep "x" on one instance: a request for it must mean one']
    ]],
    ["an alias that is another instance's name", [named("a", ["b"]), named("b", [])], ["a", "b"], [
      ["a", "gateway.aliases[0]", '"b" is the name of another instance', 'choose another alias: a request for "b" must mean one instance']
    ]],
    // Its config does not decode, but the instance is there all the same.
    ["an alias that is the name of an instance whose config is broken", [named("a", ["broken"])], ["a", "broken"], [
      ["a", "gateway.aliases[0]", '"broken" is the name of another instance', 'choose another alias: a request for "broken" must mean one instance']
    ]],
    ["an alias that is its own name", [named("a", ["x", "a"])], ["a"], [
      ["a", "gateway.aliases[1]", '"a" is this instance\'s own name', "remove it: clients can use the name already"]
    ]],
    ["another's name and shared", [named("a", ["c"]), named("b", ["c"]), named("c", [])], ["a", "b", "c"], [
      ["a", "gateway.aliases[0]", '"c" is the name of another instance', 'choose another alias: a request for "c" must mean one instance'],
      ["a", "gateway.aliases[0]", '"c" is also an alias of b', 'keep "c" on one instance: a request for it must mean one'],
      ["b", "gateway.aliases[0]", '"c" is the name of another instance', 'choose another alias: a request for "c" must mean one instance'],
      ["b", "gateway.aliases[0]", '"c" is also an alias of a', 'keep "c" on one instance: a request for it must mean one']
    ]]
  ] as const)("%s", (_, instances, names, expected) => {
    expect(aliasClashes(instances, names).map((finding) => [finding.instance, finding.field, finding.problem, finding.hint])).toEqual(expected)
  })
})

describe("undefinedGroups", () => {
  it.each([
    ["no group", [named("a", [])], [], []],
    ["a defined group", [named("a", [], "gpu0"), named("b", [], "gpu0")], ["gpu0", "cpu"], []],
    ["a group close to a defined one", [named("a", [], "gpu1"), named("b", [], "gpu0")], ["gpu0", "cpu"], [
      ["a", "gateway.group", '"gpu1" is not a group of orch.json\'s gateway.groups', 'did you mean "gpu0"?']
    ]],
    ["a group far from every defined one", [named("a", [], "big")], ["gpu0", "cpu"], [
      ["a", "gateway.group", '"big" is not a group of orch.json\'s gateway.groups', 'define it in orch.json: "gateway": { "groups": { "big": {} } }, or use one defined there: gpu0, cpu']
    ]],
    ["a group where orch.json defines none", [named("a", [], "big")], [], [
      ["a", "gateway.group", '"big" is not a group of orch.json\'s gateway.groups', 'define it in orch.json: "gateway": { "groups": { "big": {} } }']
    ]]
  ] as const)("%s", (_, instances, groups, expected) => {
    expect(undefinedGroups(instances, groups).map((finding) => [finding.instance, finding.field, finding.problem, finding.hint])).toEqual(expected)
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
