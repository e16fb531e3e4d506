import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { createChannel, createClient } from "nice-grpc";
import { SandboxServiceDefinition as HostSandboxService } from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import { createWrennClient, SandboxStatus, type WrennClient } from "@wrenn/client";
import { startStack, type Stack } from "@wrenn/devstack";

// The product's own runtime end to end: every sandbox is a QEMU microVM
// restored from the base template's snapshot, in its own network namespace.
// (QEMU runs under TCG on machines without usable KVM.)
let stack: Stack;
let client: WrennClient;

beforeAll(async () => {
  stack = await startStack({
    runtime: "qemu",
    sandboxNetwork: "netns",
    // A prefix and pool of its own, apart from any other agent on this machine.
    hostagentEnv: { WRENN_NETWORK_PREFIX: "wit", WRENN_NETWORK_POOL: "10.253.0.0/16" },
    hostagentStartTimeoutMs: 15 * 60_000,
  });
  client = createWrennClient(stack.grpcAddress, { apiKey: stack.apiKey });
}, 16 * 60_000);

afterAll(async () => {
  client?.close();
  await stack?.close();
});

function qemuProcessesFor(sandboxId: string): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
        return cmdline.includes("qemu-system") && cmdline.includes(sandboxId);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe("microVM sandboxes through the public API", () => {
  it("the host agent runs the QEMU runtime", async () => {
    const channel = createChannel(stack.hostagentAddress);
    try {
      const info = await createClient(HostSandboxService, channel).getHostInfo({});
      expect(info.runtime).toBe("qemu");
    } finally {
      channel.close();
    }
  });

  it("a sandbox is its own VM: own kernel and hostname, commands and files work, destroy stops the VM", async () => {
    const { sandbox } = await client.sandboxes.createSandbox({ waitReady: true });
    expect(sandbox?.status).toBe(SandboxStatus.SANDBOX_STATUS_RUNNING);
    const id = sandbox!.sandboxId;
    expect(qemuProcessesFor(id)).toHaveLength(1);

    const kernel = await client.run(id, "cat", ["/proc/version"]);
    expect(kernel.stdout).toMatch(/cloud-amd64/);
    expect((await client.run(id, "hostname")).stdout.trim()).toBe(id);
    expect(await client.run(id, "sh", ["-c", "echo $((6 * 7))"])).toMatchObject({ stdout: "42\n", exitCode: 0 });

    await client.filesystem.writeFile(
      (async function* () {
        yield { sandboxId: id, path: "/home/wrenn-user/notes.txt", data: Buffer.from("inside a VM\n") };
      })(),
    );
    expect((await client.run(id, "cat", ["/home/wrenn-user/notes.txt"])).stdout).toBe("inside a VM\n");

    const destroyed = await client.sandboxes.destroySandbox({ sandboxId: id, wait: true });
    expect(destroyed.sandbox?.status).toBe(SandboxStatus.SANDBOX_STATUS_STOPPED);
    expect(qemuProcessesFor(id)).toEqual([]);
  });
});
