import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The tests drive a real envd bundle; build it once per run.
    globalSetup: ["test/build-bundle.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
