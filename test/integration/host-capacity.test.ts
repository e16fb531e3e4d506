import { statfs } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWrennClient, type WrennClient } from "@wrenn/client";
import { startStack, type Stack } from "@wrenn/devstack";
import { adminSessionCookie } from "../harness/admin-session.js";

/** A host as GET /v1/admin/hosts shows it (int64 fields come as JSON strings). */
interface ListedHost {
  hostId: string;
  status: string;
  memoryBytes: string;
  freeMemoryBytes: string;
  loadAverage?: number;
  diskFreeBytes: string;
  sandboxCount?: number;
  sandboxMemoryBytes?: string;
  templates?: string[];
  lastSeenAt: string;
}

let stack: Stack;
let client: WrennClient;
const previousHeartbeat = process.env.WRENN_HOST_HEARTBEAT_MS;

beforeAll(async () => {
  // A heartbeat every 300 ms, so the capacity follows each change within a second.
  process.env.WRENN_HOST_HEARTBEAT_MS = "300";
  stack = await startStack();
  client = createWrennClient(stack.grpcAddress, { apiKey: stack.apiKey });
});

afterAll(async () => {
  client?.close();
  await stack?.close();
  if (previousHeartbeat === undefined) delete process.env.WRENN_HOST_HEARTBEAT_MS;
  else process.env.WRENN_HOST_HEARTBEAT_MS = previousHeartbeat;
});

async function theHost(): Promise<ListedHost> {
  const response = await fetch(`${stack.httpUrl}/v1/admin/hosts`, { headers: { cookie: await adminSessionCookie(stack) } });
  expect(response.status).toBe(200);
  const { hosts } = (await response.json()) as { hosts: ListedHost[] };
  expect(hosts).toHaveLength(1);
  return hosts[0]!;
}

describe("host capacity in heartbeats", () => {
  it("shows what the host has left: memory, load, disk, and the templates it holds", async () => {
    const host = await theHost();
    expect(host.status).toBe("online");
    const free = Number(host.freeMemoryBytes);
    expect(free).toBeGreaterThan(0);
    expect(free).toBeLessThanOrEqual(Number(host.memoryBytes));
    expect(host.loadAverage ?? 0).toBeGreaterThanOrEqual(0);
    // The file system of the agent's data directory, as this process sees it (within what a heartbeat's gap lets change).
    const fs = await statfs(join(stack.dataDir, "host"));
    const diskFree = fs.bavail * fs.bsize;
    expect(Math.abs(Number(host.diskFreeBytes) - diskFree)).toBeLessThan(diskFree * 0.05 + 512 * 1024 ** 2);
    expect(host.templates).toContain("base");
  });

  it("counts sandboxes, and the memory given to the running ones only", async () => {
    const before = await theHost();
    const baseCount = before.sandboxCount ?? 0;
    const a = (await client.sandboxes.createSandbox({ waitReady: true })).sandbox!;
    const b = (await client.sandboxes.createSandbox({ waitReady: true })).sandbox!;
    const mib = (s: typeof a) => s.resources!.memoryMib * 1024 * 1024;
    try {
      await expect
        .poll(async () => { const h = await theHost(); return [h.sandboxCount ?? 0, Number(h.sandboxMemoryBytes ?? 0)]; }, { timeout: 10_000, message: "sandbox count and memory after two creates" })
        .toEqual([baseCount + 2, Number(before.sandboxMemoryBytes ?? 0) + mib(a) + mib(b)]);
      await client.sandboxes.pauseSandbox({ sandboxId: a.sandboxId, wait: true });
      await expect
        .poll(async () => { const h = await theHost(); return [h.sandboxCount ?? 0, Number(h.sandboxMemoryBytes ?? 0)]; }, { timeout: 10_000, message: "after pausing one: still counted, its memory not" })
        .toEqual([baseCount + 2, Number(before.sandboxMemoryBytes ?? 0) + mib(b)]);
    } finally {
      await client.sandboxes.destroySandbox({ sandboxId: a.sandboxId, wait: true });
      await client.sandboxes.destroySandbox({ sandboxId: b.sandboxId, wait: true });
    }
    await expect.poll(async () => (await theHost()).sandboxCount ?? 0, { timeout: 10_000 }).toBe(baseCount);
  });
});
