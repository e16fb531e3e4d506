import { defineConfig } from "vitest/config";

// One run covers every workspace; each folder below is a vitest project and
// may carry its own vitest.config.ts (timeouts, setup).
export default defineConfig({
  test: {
    projects: ["packages/*", "services/*", "clients/ts", "clients/cli", "test"],
    // Two cores here: more workers only make the real-VM tests slower.
    maxWorkers: 2,
  },
});
