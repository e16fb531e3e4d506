import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createWrennClient, SandboxStatus, type WrennClient } from "@wrenn/client";
import { startStack, type Stack } from "@wrenn/devstack";
import { cgroupsOf, exists, hostSandboxIds, processesWith, sandboxDir } from "../harness/host-traces.js";

// A host agent restart loses nothing, not even a lifecycle call made the
// moment it is back. The controlplane reaches the agent over two channels
// (relayed envd calls, lifecycle calls) that reconnect each on its own
// backoff: once a relayed command works again, the lifecycle channel may
// still be seconds from reconnecting. A destroy sent then must wait for it,
// not fail the sandbox into ERROR and leave it running on the host.
describe("a lifecycle call right after a kill -9 of the host agent", () => {
  let stack: Stack;
  let client: WrennClient;

  beforeAll(async () => {
    stack = await startStack({ runtime: "namespace" });
    client = createWrennClient(stack.grpcAddress, { apiKey: stack.apiKey });
  });

  afterAll(async () => {
    client?.close();
    await stack?.close();
  });

  it("a destroy as soon as relayed calls work again stops the sandbox and leaves nothing on the host", async () => {
    const { sandbox } = await client.sandboxes.createSandbox({ templateId: "base", waitReady: true });
    expect(sandbox!.status).toBe(SandboxStatus.SANDBOX_STATUS_RUNNING);
    const id = sandbox!.sandboxId;

    await stack.restart("hostagent", { signal: "SIGKILL" });
    // The first sign a user has that the host is back: a command in the sandbox runs.
    await vi.waitFor(
      async () => {
        const result = await client.run(id, "true");
        if (result.exitCode !== 0) throw new Error(`exit code ${result.exitCode}`);
      },
      { timeout: 60_000, interval: 100 },
    );

    const destroyed = await client.sandboxes.destroySandbox({ sandboxId: id, wait: true });
    expect(destroyed.sandbox!.status, destroyed.sandbox!.error).toBe(SandboxStatus.SANDBOX_STATUS_STOPPED);
    expect(await hostSandboxIds(stack), "sandboxes the host agent lists").not.toContain(id);
    expect(await processesWith(id), "host processes naming the sandbox").toEqual([]);
    expect(await exists(sandboxDir(stack, id)), "the sandbox's directory").toBe(false);
    expect(await cgroupsOf(stack.services.hostagent.pid!, id), "the sandbox's cgroups").toEqual([]);
  });
});
