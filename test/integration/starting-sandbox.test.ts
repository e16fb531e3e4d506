import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ClientError, Status } from "nice-grpc";
import { createWrennClient, SandboxStatus, type WrennClient } from "@wrenn/client";
import { startStack, type Stack } from "@wrenn/devstack";
import { fromWireId } from "@wrenn/shared";
import { cgroupsOf, exists, hostSandboxIds, networkTraces, processesWith, sandboxDir } from "../harness/host-traces.js";
import { logEntries } from "../harness/service-logs.js";
import { keyHeaders } from "../harness/api-key.js";

// A sandbox between CreateSandbox's answer (202, STARTING) and the host's
// answer, on the real host agent. The window is the host's real start: with
// a network namespace of its own (veth, /30, firewall chain) and envd's
// handshake, a namespace sandbox takes about a second here, a QEMU restore
// under TCG longer, while the calls below take milliseconds. Each test
// checks it really acted while the sandbox was starting (the refusal names
// it; the controlplane logs the state a destroy came from), so a start that
// won the race fails the test instead of passing it unexercised.
const qemuInstalled = (process.env.PATH ?? "").split(":").some((dir) => existsSync(join(dir, "qemu-system-x86_64")));
const runtimes = (process.env.WRENN_TEST_RUNTIMES ?? (qemuInstalled ? "namespace,qemu" : "namespace")).split(",");

/** Per runtime: a network prefix and pool of its own (so the leftovers counted are this stack's), and what runs a sandbox. */
const legs: Record<string, { prefix: string; pool: string; process: string; cgroups: boolean }> = {
  namespace: { prefix: "wst", pool: "10.248.0.0/16", process: "bwrap", cgroups: true },
  qemu: { prefix: "wsq", pool: "10.245.0.0/16", process: "qemu-system", cgroups: false },
};

async function refusal(call: Promise<unknown>): Promise<ClientError> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ClientError)) throw new Error(`expected a gRPC error, got ${String(err)}`);
  return err;
}

async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of stream) {
    // Only the end (or the error) matters.
  }
}

describe.each(runtimes)("a sandbox that is still starting (%s runtime)", (runtime) => {
  const leg = legs[runtime]!;
  const prefix = leg.prefix;
  let stack: Stack;
  let client: WrennClient;

  beforeAll(async () => {
    stack = await startStack({
      runtime: runtime as "namespace" | "qemu",
      sandboxNetwork: "netns",
      hostagentEnv: { WRENN_NETWORK_PREFIX: leg.prefix, WRENN_NETWORK_POOL: leg.pool },
      // A first QEMU start builds the guest image and boots the base template.
      hostagentStartTimeoutMs: 15 * 60_000,
    });
    client = createWrennClient(stack.grpcAddress, { apiKey: stack.apiKey });
  }, 16 * 60_000);

  afterAll(async () => {
    client?.close();
    await stack?.close();
  });

  async function startNew(): Promise<string> {
    const { sandbox } = await client.sandboxes.createSandbox({ templateId: "base", waitReady: false });
    expect(sandbox!.status).toBe(SandboxStatus.SANDBOX_STATUS_STARTING);
    return sandbox!.sandboxId;
  }

  it("refuses process, file and port calls with FAILED_PRECONDITION (HTTP 400) until it runs", async () => {
    const id = await startNew();
    try {
      const starting = "sandbox is still starting; retry once it is running (or create it with wait_ready)";

      const start = await refusal(drain(client.processes.startProcess({ sandboxId: id, start: { process: { cmd: "true", args: [], envs: {} }, timeoutMs: 0 } })));
      expect([start.code, start.details]).toEqual([Status.FAILED_PRECONDITION, starting]);
      const stat = await refusal(client.filesystem.statFile({ sandboxId: id, path: "/" }));
      expect([stat.code, stat.details]).toEqual([Status.FAILED_PRECONDITION, starting]);
      const ports = await refusal(client.ports.listPorts({ sandboxId: id }));
      expect([ports.code, ports.details]).toEqual([Status.FAILED_PRECONDITION, starting]);
      const http = await fetch(`${stack.httpUrl}/v1/sandboxes/${id}/files/stat?path=%2F`, { headers: keyHeaders(stack) });
      expect({ status: http.status, body: await http.json() }).toEqual({ status: 400, body: { code: "FAILED_PRECONDITION", message: starting, details: [] } });
      // Reading it is not an operation on it: Get answers, and says it is starting.
      expect((await client.sandboxes.getSandbox({ sandboxId: id })).sandbox!.status).toBe(SandboxStatus.SANDBOX_STATUS_STARTING);

      // The refusal was about starting only: once it runs, the same calls work.
      await vi.waitFor(
        async () => expect((await client.sandboxes.getSandbox({ sandboxId: id })).sandbox!.status).toBe(SandboxStatus.SANDBOX_STATUS_RUNNING),
        { timeout: 60_000, interval: 100 },
      );
      expect((await client.filesystem.statFile({ sandboxId: id, path: "/" })).entry?.path).toBe("/");
      expect((await client.run(id, "echo", ["up"])).stdout).toBe("up\n");
      // What a running sandbox has on the host, each read the way the next test reads its absence.
      expect(await hostSandboxIds(stack)).toContain(id);
      expect(await processesWith(leg.process, id)).not.toEqual([]);
      expect(await exists(sandboxDir(stack, id))).toBe(true);
      const traces = await networkTraces(prefix);
      expect([traces.netns.length, traces.links.length, traces.chains.length]).toEqual([1, 1, 1]);
      if (leg.cgroups) expect(await cgroupsOf(stack.services.hostagent.pid!, id)).not.toEqual([]);
    } finally {
      await client.sandboxes.destroySandbox({ sandboxId: id, wait: true });
    }
  });

  it("destroyed while starting, it ends STOPPED and the host is left with nothing of it", async () => {
    const id = await startNew();
    const { sandbox: destroyed } = await client.sandboxes.destroySandbox({ sandboxId: id, wait: true });
    expect(destroyed!.status).toBe(SandboxStatus.SANDBOX_STATUS_STOPPED);

    // The destroy really came while it was starting (not after the start won the race).
    const uuid = fromWireId("sb", id);
    const stopping = (await logEntries(stack, "controlplane")).find((e) => e.sandboxId === uuid && e.msg === "sandbox stopping");
    expect(stopping?.from).toBe("starting");

    // The host's create was still under way: it finishes after the destroy, and
    // only then can a leftover exist. Wait until the host made it and removed it again.
    await vi.waitFor(
      async () => {
        const host = (await logEntries(stack, "hostagent")).filter((e) => e.sandboxId === id).map((e) => e.msg);
        expect(host).toContain("sandbox created");
        expect(host.slice(host.indexOf("sandbox created"))).toContain("sandbox destroyed");
      },
      { timeout: 60_000, interval: 100 },
    );

    expect(await hostSandboxIds(stack)).not.toContain(id);
    expect(await processesWith(leg.process, id), `the sandbox's ${leg.process}`).toEqual([]);
    expect(await exists(sandboxDir(stack, id)), "the sandbox's directory").toBe(false);
    expect(await networkTraces(prefix), "its network namespace, veth and firewall chain").toEqual({ netns: [], links: [], chains: [] });
    expect(await cgroupsOf(stack.services.hostagent.pid!, id), "its cgroups").toEqual([]);
    // And the late start did not bring it back to life in the controlplane.
    expect((await client.sandboxes.getSandbox({ sandboxId: id })).sandbox!.status).toBe(SandboxStatus.SANDBOX_STATUS_STOPPED);
    const listed = (await client.sandboxes.listSandboxes({})).sandboxes.find((s) => s.sandboxId === id);
    expect(listed?.status).toBe(SandboxStatus.SANDBOX_STATUS_STOPPED);
  });
});
