import { describe, expect, it } from "vitest";
import { useStackWithSandbox } from "../harness/stack-with-sandbox.js";
import { BridgeSession, bridgeUrl } from "./websocket-session.js";

// A terminal over the WebSocket bridge on a real stack: typing, output,
// resize (as `stty size` sees it), exit, re-attach by tag with replay, and
// the close at a controlplane shutdown.
const ctx = useStackWithSandbox();

const ptyUrl = (query: Record<string, string> = {}) => bridgeUrl(ctx.stack.httpUrl, `/v1/sandboxes/${ctx.sandboxId}/pty`, { token: ctx.stack.apiKey, ...query });

describe("PTY over WebSocket", () => {
  it("runs a shell: input, output, resize, and exit closes with 1000", async () => {
    const pty = await BridgeSession.open(ptyUrl({ cols: "100", rows: "30" }));
    await pty.until(() => pty.control("started") !== undefined, "the started message");
    expect(pty.controls[0]).toMatchObject({ type: "started", pid: expect.any(Number), tag: expect.any(String) });

    pty.type("stty size\n");
    await pty.untilText(/^30 100\r?$/m);
    pty.type("echo sum-$((6*7))\n");
    await pty.untilText(/^sum-42\r?$/m);

    // The resize is its own call, so it may land after input typed right behind it: ask until the shell sees it.
    pty.resize(132, 40);
    await expect
      .poll(
        async () => {
          const before = pty.text().length;
          pty.type("stty size\n");
          await pty.until(() => /\d+ \d+\r?\n/.test(pty.text().slice(before)), "an stty answer");
          return /^(\d+ \d+)\r?$/m.exec(pty.text().slice(before))?.[1];
        },
        { timeout: 30_000 },
      )
      .toBe("40 132");

    pty.type("exit 3\n");
    const closed = await pty.closed;
    expect(pty.control("exit")).toEqual({ type: "exit", exitCode: 3, signal: "" });
    expect(closed.code).toBe(1000);
  });

  it("runs a command given in the query", async () => {
    const pty = await BridgeSession.open(ptyUrl({ cmd: "echo from-cmd; tty" }));
    const closed = await pty.closed;
    expect(pty.text()).toMatch(/^from-cmd\r?$/m);
    expect(pty.text()).toMatch(/^\/dev\/pts\/\d+\r?$/m);
    expect(pty.control("exit")).toMatchObject({ exitCode: 0 });
    expect(closed.code).toBe(1000);
  });

  it("re-attaches by tag: the same process, its earlier output replayed", async () => {
    const tag = `term-${Date.now()}`;
    const first = await BridgeSession.open(ptyUrl({ tag }));
    await first.until(() => first.control("started") !== undefined, "started");
    const pid = first.control("started")!.pid;
    first.type("echo before-$((2+3))\n");
    await first.untilText(/^before-5\r?$/m);
    first.ws.close(1000);
    await first.closed;

    const again = await BridgeSession.open(ptyUrl({ tag }));
    await again.untilText(/^before-5\r?$/m);
    expect(again.control("started")).toEqual({ type: "started", pid, tag });
    again.type("echo after-$((3+4))\n");
    await again.untilText(/^after-7\r?$/m);
    again.type("exit\n");
    expect((await again.closed).code).toBe(1000);
  });

  it("refuses a bad size before the upgrade", async () => {
    await expect(BridgeSession.open(ptyUrl({ cols: "0" }))).rejects.toMatchObject({ status: 400 });
  });

  it("closes open bridges with 1001 when the controlplane shuts down", async () => {
    const pty = await BridgeSession.open(ptyUrl());
    await pty.until(() => pty.control("started") !== undefined, "started");
    const closed = pty.closed;
    await ctx.stack.restart("controlplane");
    expect((await closed).code).toBe(1001);
  });
});
