import { describe, expect, it } from "vitest";
import { Status } from "nice-grpc";
import type { WatchPortsResponse } from "@wrenn/gen/wrenn/api/v1/port.js";
import { waitFor } from "../harness/wait.js";
import { useStackWithSandbox } from "../harness/stack-with-sandbox.js";

// Which ports a sandbox listens on, through the public API on a real stack:
// a server started in the sandbox shows up in the list and on the watch
// stream, and goes away from both when it stops.
const ctx = useStackWithSandbox();

const server = `require("net").createServer().listen(8123, "127.0.0.1")`;

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

    const start = ctx.client.processes.startProcess({ sandboxId: ctx.sandboxId, start: { process: { cmd: "node", args: ["-e", server], envs: {} }, tag: "server", timeoutMs: 0, background: true } });
    for await (const { event } of start) if (event?.start) break;

    const listed = await waitFor("port 8123 in the list", async () => {
      const { ports } = await ctx.client.ports.listPorts({ sandboxId: ctx.sandboxId });
      return ports.find((p) => p.port === 8123);
    });
    expect(listed).toMatchObject({ address: "127.0.0.1", port: 8123 });
    await waitFor("an opened event for 8123", async () => (events.some((e) => e.opened?.port === 8123) ? true : undefined));

    await ctx.client.processes.killProcess({ sandboxId: ctx.sandboxId, selector: "server" });
    await waitFor("a closed event for 8123", async () => (events.some((e) => e.closed?.port === 8123) ? true : undefined));
    expect((await ctx.client.ports.listPorts({ sandboxId: ctx.sandboxId })).ports.some((p) => p.port === 8123)).toBe(false);
    leave.abort();
    await watching;
  });

  it("answers over HTTP, and NOT_FOUND for an unknown sandbox", async () => {
    const res = await fetch(`${ctx.stack.httpUrl}/v1/sandboxes/${ctx.sandboxId}/ports`);
    expect(res.status).toBe(200);
    expect(Array.isArray(((await res.json()) as { ports: unknown }).ports)).toBe(true);
    await expect(ctx.client.ports.listPorts({ sandboxId: `sb-${"0".repeat(32)}` })).rejects.toMatchObject({ code: Status.NOT_FOUND });
  });
});
