import { defineConfig } from "vitest/config"

/**
 * Two projects: the pure tests (the domain: no process, no file, no build) start at once; every
 * other test runs the bundled `orch`, the crash writer or the real llama-server, which the
 * global setup builds first (about 15 s even when nothing changed).
 */
export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 20_000,
    projects: [
      {
        extends: true,
        test: { name: "pure", include: ["test/domain/**/*.test.ts"] }
      },
      {
        extends: true,
        test: {
          name: "processes",
          include: ["test/**/*.test.ts"],
          exclude: ["test/domain/**"],
          globalSetup: ["test/support/build.ts"]
        }
      }
    ]
  }
})
