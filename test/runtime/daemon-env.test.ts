import { describe, expect, it } from "vitest"
import { DAEMON_ONLY, daemonEnv, serverBaseEnv } from "../../src/runtime/daemon-env.js"

describe("the daemon's own environment", () => {
  it.each([
    {
      given: { PATH: "/bin" },
      daemon: { PATH: "/bin", MALLOC_MMAP_THRESHOLD_: "32768", NODE_OPTIONS: "--max-semi-space-size=4", [DAEMON_ONLY]: "MALLOC_MMAP_THRESHOLD_,NODE_OPTIONS" }
    },
    {
      given: { PATH: "/bin", MALLOC_MMAP_THRESHOLD_: "4096", NODE_OPTIONS: "--max-old-space-size=512" },
      daemon: { PATH: "/bin", MALLOC_MMAP_THRESHOLD_: "4096", NODE_OPTIONS: "--max-old-space-size=512", [DAEMON_ONLY]: "" }
    }
  ])("adds the memory tuning unless the user set it: $given", ({ given, daemon }) => {
    expect(daemonEnv(given)).toEqual(daemon)
  })

  it.each([
    { PATH: "/bin" },
    { PATH: "/bin", MALLOC_MMAP_THRESHOLD_: "4096" },
    { PATH: "/bin", NODE_OPTIONS: "--max-old-space-size=512" }
  ])("gives servers the environment the daemon was launched from: %o", (launchedFrom) => {
    expect(serverBaseEnv(daemonEnv(launchedFrom))).toEqual(launchedFrom)
  })

  it("leaves an environment without the marker as it is (a daemon run by hand or by a service manager)", () => {
    expect(serverBaseEnv({ PATH: "/bin", MALLOC_MMAP_THRESHOLD_: "32768" })).toEqual({ PATH: "/bin", MALLOC_MMAP_THRESHOLD_: "32768" })
  })
})
