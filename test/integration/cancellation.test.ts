import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { randomBytes } from "node:crypto";
import { createWrennClient, SandboxStatus, type WrennClient } from "@wrenn/client";
import { startStack, type Stack } from "@wrenn/devstack";
import { hostSandboxIds, processesWith } from "../harness/host-traces.js";
import { keyHeaders } from "../harness/api-key.js";

// A caller that goes away: its cancellation travels controlplane → host
// agent relay → envd, and a foreground command dies with its caller
// (envd hangs it up, then kills its group). The namespace runtime's
// processes are the host's, so "gone" is read in the host's /proc. A create
// is the exception: it outlives its caller (the controlplane finishes it in
// the background), so a cancelled wait_ready create still ends RUNNING,
// known to both the controlplane and the host.
let stack: Stack;
let client: WrennClient;
let sandboxId: string;

beforeAll(async () => {
  // Per-sandbox networks make a start take about a second, long enough to cancel a create while it waits.
  stack = await startStack({ sandboxNetwork: "netns", hostagentEnv: { WRENN_NETWORK_PREFIX: "wcx", WRENN_NETWORK_POOL: "10.247.0.0/16" } });
  client = createWrennClient(stack.grpcAddress, { apiKey: stack.apiKey });
  const { sandbox } = await client.sandboxes.createSandbox({ templateId: "base", waitReady: true });
  sandboxId = sandbox!.sandboxId;
});

afterAll(async () => {
  client?.close();
  await stack?.close();
});

/** A command that prints forever, named by a marker that shows in its host command line. */
function ticker(): { marker: string; args: string[] } {
  const marker = `wrenn-cancel-${randomBytes(6).toString("hex")}`;
  return { marker, args: ["-c", "while :; do echo tick; sleep 0.1; done", marker] };
}

/** Waits until the command is gone from the sandbox (envd's list) and from the host (its /proc). */
async function expectGone(marker: string): Promise<void> {
  await vi.waitFor(
    async () => {
      expect(await processesWith(marker), "host processes with the marker").toEqual([]);
      const { processes } = await client.processes.listProcesses({ sandboxId });
      expect(processes.filter((p) => p.args.includes(marker)), "envd's processes with the marker").toEqual([]);
    },
    { timeout: 30_000, interval: 100 },
  );
}

/** How a call ended for its caller: "resolved", or the error's name and message. */
async function endOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => "resolved",
    (err: unknown) => `${(err as Error).name}: ${(err as Error).message}`,
  );
}

/** Reads a stream to its end (events already received come first): "ended", or the error it failed with. */
async function endOfStream(next: () => Promise<{ done?: boolean }>): Promise<string> {
  return endOf(
    (async () => {
      while (!(await next()).done);
    })(),
  ).then((end) => (end === "resolved" ? "ended" : end));
}

describe("a caller that goes away", () => {
  it("over gRPC: its foreground command is killed in the sandbox", async () => {
    const { marker, args } = ticker();
    const controller = new AbortController();
    const events = client.processes.startProcess(
      { sandboxId, start: { process: { cmd: "sh", args, envs: {} }, timeoutMs: 0 } },
      { signal: controller.signal },
    );
    const stream = events[Symbol.asyncIterator]();
    // Its start, then output: it runs, on the host too. Then the caller leaves.
    for (let next = await stream.next(); !next.value?.event?.data?.stdout; next = await stream.next()) {
      if (next.done) throw new Error("the command ended before it printed");
    }
    expect(await processesWith(marker)).not.toEqual([]);
    controller.abort();
    expect(await endOfStream(() => stream.next()), "how the stream ended for the caller").toMatch(/abort|cancel/i);
    await expectGone(marker);
    expect((await client.run(sandboxId, "echo", ["after"])).stdout, "the sandbox still works").toBe("after\n");
  });

  it("over HTTP: a cut NDJSON stream kills its command in the sandbox", async () => {
    const { marker, args } = ticker();
    const controller = new AbortController();
    const response = await fetch(`${stack.httpUrl}/v1/sandboxes/${sandboxId}/processes`, {
      method: "POST",
      headers: keyHeaders(stack),
      body: JSON.stringify({ process: { cmd: "sh", args } }),
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    let text = "";
    // The start line, then output: it runs.
    while (!text.includes('"data"')) {
      const chunk = await reader.read();
      if (chunk.done) throw new Error(`the stream ended before any output: ${text}`);
      text += new TextDecoder().decode(chunk.value);
    }
    expect(await processesWith(marker)).not.toEqual([]);
    controller.abort();
    expect(await endOfStream(() => reader.read()), "how the stream ended for the caller").toMatch(/abort|cancel/i);
    await expectGone(marker);
  });

  it("a wait_ready create cancelled by its caller still ends RUNNING, on the host and in the controlplane", async () => {
    const before = new Set((await client.sandboxes.listSandboxes({})).sandboxes.map((s) => s.sandboxId));
    const controller = new AbortController();
    const call = client.sandboxes.createSandbox({ templateId: "base", waitReady: true }, { signal: controller.signal });
    // The caller gets no id: the sandbox is found the way it would find it, in the list.
    const id = await vi.waitFor(
      async () => {
        const created = (await client.sandboxes.listSandboxes({})).sandboxes.find((s) => !before.has(s.sandboxId));
        expect(created, "the new sandbox in the list").toBeDefined();
        return created!.sandboxId;
      },
      { timeout: 30_000, interval: 20 },
    );
    controller.abort();
    expect(await endOf(call), "the call ended by the abort, before the sandbox was ready").toMatch(/abort/i);

    await vi.waitFor(
      async () => expect((await client.sandboxes.getSandbox({ sandboxId: id })).sandbox!.status).toBe(SandboxStatus.SANDBOX_STATUS_RUNNING),
      { timeout: 60_000, interval: 100 },
    );
    expect(await hostSandboxIds(stack)).toContain(id);
    expect((await client.run(id, "hostname")).stdout).toBe(`${id}\n`);
    await client.sandboxes.destroySandbox({ sandboxId: id, wait: true });
    expect(await hostSandboxIds(stack)).not.toContain(id);
  });
});
