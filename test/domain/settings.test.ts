import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { DEFAULT_SETTINGS, decodeSettings, isLoopback, listenAddress } from "../../src/domain/settings.js"

const findingsOf = (raw: unknown) => Either.match(decodeSettings(raw), { onLeft: (findings) => findings, onRight: () => [] })

const LISTEN_HINT = /^Where the HTTP API listens: "HOST:PORT"/
const AUTH_HINT = /^Who may call \/api\/: "token"/

describe("orch.json", () => {
  it.each([
    { given: {}, listen: { host: "127.0.0.1", port: 7433 }, auth: "token" },
    { given: { $schema: "./orch.schema.json", http: {} }, listen: { host: "127.0.0.1", port: 7433 }, auth: "token" },
    { given: { http: { listen: "0.0.0.0:9000" } }, listen: { host: "0.0.0.0", port: 9000 }, auth: "token" },
    { given: { http: { listen: "127.0.0.1:0", auth: "none" } }, listen: { host: "127.0.0.1", port: 0 }, auth: "none" },
    { given: { http: { listen: "127.8.9.10:65535", auth: "none" } }, listen: { host: "127.8.9.10", port: 65535 }, auth: "none" },
    { given: { http: { listen: "localhost:7433", auth: "none" } }, listen: { host: "localhost", port: 7433 }, auth: "none" },
    { given: { http: { listen: "[::1]:7433", auth: "none" } }, listen: { host: "::1", port: 7433 }, auth: "none" },
    { given: { http: { listen: "[::]:7433" } }, listen: { host: "::", port: 7433 }, auth: "token" },
    { given: { http: { listen: "[fe80::1:2]:80" } }, listen: { host: "fe80::1:2", port: 80 }, auth: "token" },
    { given: { http: { listen: "[::ffff:127.0.0.1]:80", auth: "none" } }, listen: { host: "::ffff:127.0.0.1", port: 80 }, auth: "none" },
    { given: { http: { listen: "off" } }, listen: "off", auth: "token" },
    // Nothing listens, so nothing is exposed.
    { given: { http: { listen: "off", auth: "none" } }, listen: "off", auth: "none" }
  ])("reads $given", ({ given, listen, auth }) => {
    const settings = Either.getOrThrow(decodeSettings(given))
    expect(listenAddress(settings)).toEqual(listen)
    expect(settings.http.auth).toBe(auth)
  })

  it("has the defaults when the file says nothing: 127.0.0.1:7433, token", () => {
    expect(DEFAULT_SETTINGS).toEqual({
      http: { listen: { host: "127.0.0.1", port: 7433 }, auth: "token" },
      gateway: { api_keys: [], max_queue: 100, drain_timeout: 60_000, groups: {} }
    })
    expect(Either.getOrThrow(decodeSettings({}))).toEqual(DEFAULT_SETTINGS)
  })

  it.each([
    { given: { http: { lsiten: "127.0.0.1:7433" } }, field: "http.lsiten", problem: 'unknown key "lsiten"', hint: 'did you mean "listen"?' },
    { given: { htp: {} }, field: "htp", problem: 'unknown key "htp"', hint: 'did you mean "http"?' },
    { given: { gatway: {} }, field: "gatway", problem: 'unknown key "gatway"', hint: 'did you mean "gateway"?' },
    { given: { zzzzzz: {} }, field: "zzzzzz", problem: 'unknown key "zzzzzz"', hint: "remove it; allowed here: $schema, http, gateway" },
    { given: [], field: "", problem: "must be an object, got []", hint: /^Settings of the home/ },
    { given: { http: null }, field: "http", problem: "must be an object, got null", hint: "The daemon's HTTP API (/api/)" },
    { given: { $schema: 3 }, field: "$schema", problem: "must be a string, got 3", hint: "JSON Schema for editors; ignored by orch" },
    { given: { http: { listen: 7433 } }, field: "http.listen", problem: 'must be "HOST:PORT", like "127.0.0.1:7433" or "[::1]:7433", or "off", got 7433', hint: LISTEN_HINT },
    { given: { http: { listen: "127.0.0.1" } }, field: "http.listen", problem: 'must be "HOST:PORT", like "127.0.0.1:7433" or "[::1]:7433", or "off", got "127.0.0.1"', hint: LISTEN_HINT },
    { given: { http: { listen: "[::1]" } }, field: "http.listen", problem: 'must be "HOST:PORT", like "127.0.0.1:7433" or "[::1]:7433", or "off", got "[::1]"', hint: LISTEN_HINT },
    { given: { http: { listen: "::1:7433" } }, field: "http.listen", problem: 'must put an IPv6 address in brackets, like "[::1]:7433", got "::1:7433"', hint: LISTEN_HINT },
    { given: { http: { listen: "127.0.0.1:65536" } }, field: "http.listen", problem: 'must end in a port from 0 to 65535, got "127.0.0.1:65536"', hint: LISTEN_HINT },
    { given: { http: { listen: "127.0.0.1:-1" } }, field: "http.listen", problem: 'must end in a port from 0 to 65535, got "127.0.0.1:-1"', hint: LISTEN_HINT },
    { given: { http: { listen: "127.0.0.1:07433" } }, field: "http.listen", problem: 'must end in a port from 0 to 65535, got "127.0.0.1:07433"', hint: LISTEN_HINT },
    { given: { http: { listen: "127.0.0.1:" } }, field: "http.listen", problem: 'must end in a port from 0 to 65535, got "127.0.0.1:"', hint: LISTEN_HINT },
    ...["example.com:80", ":80", "256.0.0.1:80", "127.0.0.01:80", "[1::2::3]:80", "[12345::]:80", "[1:2:3:4:5:6:7:8:9]:80", "[127.0.0.1]:80"].map((listen) => ({
      given: { http: { listen } },
      field: "http.listen",
      problem: `must have an IPv4 address, an IPv6 address in brackets or localhost before the port, got ${JSON.stringify(listen)}`,
      hint: LISTEN_HINT
    })),
    { given: { http: { auth: "basic" } }, field: "http.auth", problem: 'must be "token" or "none", got "basic"', hint: AUTH_HINT },
    { given: { http: { auth: true } }, field: "http.auth", problem: 'must be "token" or "none", got true', hint: AUTH_HINT },
    ...[["0.0.0.0:7433", "0.0.0.0"], ["192.168.1.5:7433", "192.168.1.5"], ["[::]:7433", "::"], ["[fe80::1]:7433", "fe80::1"], ["[::ffff:10.0.0.1]:7433", "::ffff:10.0.0.1"]].map(([listen, host]) => ({
      given: { http: { listen, auth: "none" } },
      field: "http.auth",
      problem: `"none" on a non-loopback address (${host}) would let anyone on the network control this machine's servers`,
      hint: 'use "token", or listen on 127.0.0.1'
    }))
  ])("refuses $given: $field $problem", ({ given, field, problem, hint }) => {
    const findings = findingsOf(given)
    expect(findings).toHaveLength(1)
    expect(findings[0]).toEqual({ field, problem, hint: typeof hint === "string" ? hint : expect.stringMatching(hint) })
  })

  it("reports every problem at once", () => {
    const findings = findingsOf({ http: { listen: "x", auth: "y", extra: 1 } })
    expect(findings.map((finding) => finding.field).sort()).toEqual(["http.auth", "http.extra", "http.listen"])
  })
})

describe("orch.json's gateway section", () => {
  const defaults = { api_keys: [], max_queue: 100, drain_timeout: 60_000, groups: {} }
  it.each([
    { given: { gateway: {} }, gateway: defaults },
    { given: { gateway: { api_keys: ["sk-local-1", "k2"] } }, gateway: { ...defaults, api_keys: ["sk-local-1", "k2"] } },
    { given: { gateway: { max_queue: 1 } }, gateway: { ...defaults, max_queue: 1 } },
    { given: { gateway: { max_queue: 100_000 } }, gateway: { ...defaults, max_queue: 100_000 } },
    { given: { gateway: { drain_timeout: 0 } }, gateway: { ...defaults, drain_timeout: 0 } },
    { given: { gateway: { drain_timeout: "1h" } }, gateway: { ...defaults, drain_timeout: 3_600_000 } },
    { given: { gateway: { groups: { gpu0: {}, "cpu_big-2": { exclusive: false } } } }, gateway: { ...defaults, groups: { gpu0: { exclusive: true }, "cpu_big-2": { exclusive: false } } } }
  ])("reads $given", ({ given, gateway }) => {
    expect(Either.getOrThrow(decodeSettings(given)).gateway).toEqual(gateway)
  })

  const GROUP_NAME = 'is not a valid group name: use lowercase letters, digits, "-" and "_", starting with a letter or digit, at most 64 characters'
  it.each([
    { given: { gateway: { api_keys: "sk-secret-1" } }, field: "gateway.api_keys", problem: "must be a list of keys (the value is not shown)" },
    { given: { gateway: { api_keys: ["ok", ""] } }, field: "gateway.api_keys[1]", problem: "must be a non-empty string without spaces or control characters (the value is not shown)" },
    { given: { gateway: { api_keys: ["sk secret-2"] } }, field: "gateway.api_keys[0]", problem: "must be a non-empty string without spaces or control characters (the value is not shown)" },
    { given: { gateway: { api_keys: [42] } }, field: "gateway.api_keys[0]", problem: "must be a non-empty string without spaces or control characters (the value is not shown)" },
    { given: { gateway: { max_queue: 0 } }, field: "gateway.max_queue", problem: "must be a whole number from 1 to 100000, got 0" },
    { given: { gateway: { max_queue: 100_001 } }, field: "gateway.max_queue", problem: "must be a whole number from 1 to 100000, got 100001" },
    { given: { gateway: { max_queue: 2.5 } }, field: "gateway.max_queue", problem: "must be a whole number from 1 to 100000, got 2.5" },
    { given: { gateway: { drain_timeout: "2h" } }, field: "gateway.drain_timeout", problem: 'must be at most 1h, got "2h"' },
    { given: { gateway: { drain_timeout: "later" } }, field: "gateway.drain_timeout", problem: '"later" is not a duration (stuck at "later")' },
    { given: { gateway: { groups: [] } }, field: "gateway.groups", problem: "must be an object, got []" },
    { given: { gateway: { groups: { GPU: {} } } }, field: "gateway.groups.GPU", problem: `"GPU" ${GROUP_NAME}` },
    { given: { gateway: { groups: { "a b": {} } } }, field: 'gateway.groups["a b"]', problem: `"a b" ${GROUP_NAME}` },
    { given: { gateway: { groups: { gpu: { exclusive: "yes" } } } }, field: "gateway.groups.gpu.exclusive", problem: 'must be true or false, got "yes"' },
    { given: { gateway: { groups: { gpu: null } } }, field: "gateway.groups.gpu", problem: "must be an object, got null" }
  ])("refuses $given: $field $problem", ({ given, field, problem }) => {
    const findings = findingsOf(given)
    expect(findings.map((finding) => [finding.field, finding.problem])).toEqual([[field, problem]])
    expect(findings[0]!.hint).not.toBe("")
  })

  it.each([
    [{ gateway: { apikeys: [] } }, "gateway.apikeys", 'did you mean "api_keys"?'],
    [{ gateway: { maxQueue: 5 } }, "gateway.maxQueue", 'did you mean "max_queue"?'],
    [{ gateway: { drain_timout: 5 } }, "gateway.drain_timout", 'did you mean "drain_timeout"?'],
    [{ gateway: { group: {} } }, "gateway.group", 'did you mean "groups"?'],
    [{ gateway: { groups: { gpu: { exclusiv: true } } } }, "gateway.groups.gpu.exclusiv", 'did you mean "exclusive"?']
  ])("guesses the key meant by %j", (given, field, hint) => {
    expect(findingsOf(given)).toEqual([{ field, problem: `unknown key "${field.split(".").pop()}"`, hint }])
  })

  it("never shows an API key back", () => {
    const findings = findingsOf({ gateway: { api_keys: "sk-secret-1 x", groups: { gpu: { exclusive: 1 } } } })
    expect(findings).toHaveLength(2)
    expect(JSON.stringify(findings)).not.toContain("sk-secret")
  })
})

describe("isLoopback", () => {
  it.each([
    ["127.0.0.1", true],
    ["127.255.0.9", true],
    ["localhost", true],
    ["::1", true],
    ["0:0:0:0:0:0:0:1", true],
    ["::ffff:127.0.0.1", true],
    ["::ffff:7f00:1", true],
    ["0.0.0.0", false],
    ["128.0.0.1", false],
    ["10.0.0.1", false],
    ["::", false],
    ["fe80::1", false],
    ["::ffff:10.0.0.1", false],
    ["::2", false],
    ["example.com", false],
    ["", false]
  ] as const)("%s: %s", (host, loopback) => {
    expect(isLoopback(host)).toBe(loopback)
  })
})
