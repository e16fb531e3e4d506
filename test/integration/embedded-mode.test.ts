import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWrennClient, SandboxStatus, type WrennClient } from "@wrenn/client";
import { startStack, type Stack } from "@wrenn/devstack";

// The quick start's mode: no DATABASE_URL or REDIS_URL, so the controlplane
// runs PGlite and an in-process event bus behind the same interfaces.
let stack: Stack;
let client: WrennClient;

beforeAll(async () => {
  stack = await startStack({ embedded: true });
  client = createWrennClient(stack.grpcAddress, { apiKey: stack.apiKey });
});

afterAll(async () => {
  client?.close();
  await stack?.close();
});

describe("embedded mode", () => {
  it("creates a sandbox, runs a command and destroys it with no database or broker installed", async () => {
    const { sandbox } = await client.sandboxes.createSandbox({ waitReady: true });
    expect(sandbox?.status).toBe(SandboxStatus.SANDBOX_STATUS_RUNNING);
    const result = await client.run(sandbox!.sandboxId, "echo", ["embedded"]);
    expect(result).toMatchObject({ stdout: "embedded\n", exitCode: 0 });
    const destroyed = await client.sandboxes.destroySandbox({ sandboxId: sandbox!.sandboxId, wait: true });
    expect(destroyed.sandbox?.status).toBe(SandboxStatus.SANDBOX_STATUS_STOPPED);
  });
});
