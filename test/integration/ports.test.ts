import { describe, expect, it } from "vitest";
import { Status } from "nice-grpc";
import type { WatchPortsResponse } from "@wrenn/gen/wrenn/api/v1/port.js";
import { useStackWithSandbox } from "../harness/stack-with-sandbox.js";
import { keyHeaders } from "../harness/api-key.js";

// Which ports a sandbox listens on, through the public API on a real stack:
// a server started in the sandbox shows up in the list and on the watch
// stream, and goes away from both when it stops.
const ctx = useStackWithSandbox();

/** Starts a TCP server on 127.0.0.1:`port` in the sandbox, in the background under `tag`. */
async function startServer(tag: string, port: number): Promise<void> {
  const server = `require("net").createServer().listen(${port}, "127.0.0.1")`;
  const start = ctx.client.processes.startProcess({
    sandboxId: ctx.sandboxId,
    start: { process: { cmd: "node", args: ["-e", server], envs: {} }, tag, timeoutMs: 0, background: true },
  });
  for await (const { event } of start) if (event?.start) break;
}

describe("listening ports through the public API", () => {
  it("a server started in the sandbox is listed and watched, opened then closed", async () => {
    const leave = new AbortController();
    const events: WatchPortsResponse[] = [];
    const watching = (async () => {
      try {
        for await (const event of ctx.client.ports.watchPorts({ sandboxId: ctx.sandboxId }, { signal: leave.signal })) events.push(event);
      } catch (err) {
        if (!leave.signal.aborted) throw err;
      }
    })();

    await startServer("server", 8123);

    await expect
      .poll(async () => (await ctx.client.ports.listPorts({ sandboxId: ctx.sandboxId })).ports, { timeout: 60_000, message: "the listed ports" })
      .toContainEqual(expect.objectContaining({ address: "127.0.0.1", port: 8123 }));
    await expect.poll(() => events.map((e) => e.opened?.port), { timeout: 60_000, message: "ports reported opened" }).toContain(8123);

    await ctx.client.processes.killProcess({ sandboxId: ctx.sandboxId, selector: "server" });
    await expect.poll(() => events.map((e) => e.closed?.port), { timeout: 60_000, message: "ports reported closed" }).toContain(8123);
    expect((await ctx.client.ports.listPorts({ sandboxId: ctx.sandboxId })).ports.some((p) => p.port === 8123)).toBe(false);
    leave.abort();
    await watching;
  });

  it("lists a listening server over HTTP, and answers NOT_FOUND for an unknown sandbox", async () => {
    await startServer("http-server", 8124);
    const overHttp = async () => {
      const res = await fetch(`${ctx.stack.httpUrl}/v1/sandboxes/${ctx.sandboxId}/ports`, { headers: keyHeaders(ctx.stack) });
      return { status: res.status, body: (await res.json()) as unknown };
    };
    await expect
      .poll(overHttp, { timeout: 60_000, message: "GET /v1/sandboxes/{id}/ports" })
      .toMatchObject({ status: 200, body: { ports: expect.arrayContaining([expect.objectContaining({ address: "127.0.0.1", port: 8124 })]) } });
    await ctx.client.processes.killProcess({ sandboxId: ctx.sandboxId, selector: "http-server" });
    await expect(ctx.client.ports.listPorts({ sandboxId: `sb-${"0".repeat(32)}` })).rejects.toMatchObject({ code: Status.NOT_FOUND });
  });
});
