import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "integration",
    include: ["**/*.test.ts"],
    // Each file starts a whole stack (controlplane, host agent, sandboxes);
    // running them one at a time keeps ports, Redis and CPU uncontended.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
