import { readdir, readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { createWrennClient, SandboxStatus } from "@wrenn/client";
import { startStack } from "@wrenn/devstack";
import { processAlive } from "../harness/free-port.js";

// A test stack (temporary data dir) leaves no sandbox behind when it closes,
// even one whose host agent a test killed with kill -9 and never restarted:
// sandboxes outlive their agent, so close() has a last agent re-adopt them
// and destroy them.
async function bwrapPidOf(sandboxId: string): Promise<number | undefined> {
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const args = (await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "")).split("\0");
    if (!args[0]?.endsWith("bwrap")) continue;
    const at = args.indexOf("--hostname");
    if (at >= 0 && args[at + 1] === sandboxId) return Number(entry);
  }
  return undefined;
}

describe("a test stack cleans up after itself", () => {
  it("close() destroys the sandboxes of an agent that was killed and left dead", async () => {
    const stack = await startStack();
    const client = createWrennClient(stack.grpcAddress, { apiKey: stack.apiKey });
    let pid: number | undefined;
    try {
      const { sandbox } = await client.sandboxes.createSandbox({ waitReady: true });
      expect(sandbox!.status).toBe(SandboxStatus.SANDBOX_STATUS_RUNNING);
      pid = await bwrapPidOf(sandbox!.sandboxId);
      expect(pid, "the sandbox's bwrap process").toBeDefined();
      // Behind the stack's back, as a crash would.
      process.kill(stack.services.hostagent.pid!, "SIGKILL");
      await stack.services.hostagent.current.exited;
      expect(processAlive(pid!), "the sandbox outlives its agent").toBe(true);
    } finally {
      client.close();
      await stack.close();
    }
    expect(processAlive(pid!), "the sandbox after close()").toBe(false);
  });
});
