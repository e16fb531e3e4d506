import { describe, expect, it } from "vitest";
import { useStackWithSandbox } from "../harness/stack-with-sandbox.js";
import { BridgeSession, bridgeUrl } from "./websocket-session.js";

// A background process's stream over the WebSocket bridge (replay, input,
// exit), and back-pressure: a client that stops reading stops the process,
// and then gets every byte.
const ctx = useStackWithSandbox();

const streamUrl = (selector: string | number) =>
  bridgeUrl(ctx.stack.httpUrl, `/v1/sandboxes/${ctx.sandboxId}/processes/${selector}/stream`, { token: ctx.stack.apiKey });

async function startBackground(tag: string, script: string, keepStdinOpen = true): Promise<number> {
  const leave = new AbortController();
  const events = ctx.client.processes.startProcess(
    { sandboxId: ctx.sandboxId, start: { process: { cmd: "sh", args: ["-c", script], envs: {} }, tag, background: true, keepStdinOpen, timeoutMs: 0 } },
    { signal: leave.signal },
  );
  try {
    for await (const { event } of events) if (event?.start) return event.start.pid;
  } finally {
    leave.abort();
  }
  throw new Error("no start event");
}

/** A command's stdout, run to its end. */
async function run(script: string): Promise<string> {
  let out = "";
  for await (const { event } of ctx.client.processes.startProcess({ sandboxId: ctx.sandboxId, start: { process: { cmd: "sh", args: ["-c", script], envs: {} } } })) {
    if (event?.data?.stdout) out += Buffer.from(event.data.stdout).toString();
  }
  return out;
}

describe("process stream over WebSocket", () => {
  it("re-attaches to a background process by tag: replay, stdin, exit with 1000", async () => {
    const tag = `bg-${Date.now()}`;
    const pid = await startBackground(tag, 'echo first-line; read line; echo "got:$line"; exit 5');
    const session = await BridgeSession.open(streamUrl(tag));
    await session.untilText(/first-line\n/);
    expect(session.controls[0]).toEqual({ type: "started", pid, tag });
    session.type("hello over ws\n");
    const closed = await session.closed;
    expect(session.text()).toBe("first-line\ngot:hello over ws\n");
    expect(session.control("exit")).toEqual({ type: "exit", exitCode: 5, signal: "" });
    expect(closed.code).toBe(1000);
  });

  it("attaches by pid, and a process ended by a signal says so", async () => {
    const pid = await startBackground(`sig-${Date.now()}`, "echo ready; exec sleep 600");
    const session = await BridgeSession.open(streamUrl(pid));
    await session.untilText(/ready\n/);
    await ctx.client.processes.killProcess({ sandboxId: ctx.sandboxId, selector: String(pid) });
    expect((await session.closed).code).toBe(1000);
    expect(session.control("exit")).toEqual({ type: "exit", exitCode: -1, signal: "SIGKILL" });
  });

  it("a failed call closes with 4000 + its gRPC status and the message as the reason", async () => {
    const tag = `closed-stdin-${Date.now()}`;
    // Without keep_stdin_open envd closes stdin at once: StreamProcessInput is refused.
    await startBackground(tag, "echo stdin-closed; exec sleep 600", false);
    const session = await BridgeSession.open(streamUrl(tag));
    await session.untilText(/stdin-closed\n/);
    session.type("nowhere to go\n");
    const closed = await session.closed;
    await ctx.client.processes.killProcess({ sandboxId: ctx.sandboxId, selector: tag });
    expect(closed.code).toBe(4000 + 9); // FAILED_PRECONDITION
    expect(closed.reason).toMatch(/stdin/);
  });

  it("an unknown tag is 404 before the upgrade", async () => {
    await expect(BridgeSession.open(streamUrl("no-such-tag"))).rejects.toMatchObject({ status: 404 });
  });

  it("a client that stops reading stops the process; resumed, it gets all the output in order", async () => {
    const tag = `flood-${Date.now()}`;
    const lines = 60_000;
    const progress = `/tmp/${tag}.progress`;
    // ~60 MB, far more than every buffer on the way; the process notes how far it got.
    const script = `i=0; pad=$(printf '%0980d' 0); while [ $i -lt ${lines} ]; do printf '%08d %s\\n' $i "$pad"; i=$((i+1)); [ $((i % 500)) -eq 0 ] && echo $i > ${progress}; done; echo done > ${progress}`;
    const pty = await BridgeSession.open(
      bridgeUrl(ctx.stack.httpUrl, `/v1/sandboxes/${ctx.sandboxId}/pty`, { token: ctx.stack.apiKey, tag, cmd: `stty -echo -onlcr; ${script}` }),
    );
    pty.ws.pause();

    // Stalled: two looks a second apart see the same place, short of the end.
    let last = "";
    await expect
      .poll(
        async () => {
          const now = (await run(`cat ${progress} 2>/dev/null || echo 0`)).trim();
          const same = now === last && now !== "0";
          last = now;
          await new Promise((r) => setTimeout(r, 1_000));
          return same;
        },
        { timeout: 120_000, interval: 0 },
      )
      .toBe(true);
    expect(last).not.toBe("done");
    expect(Number(last)).toBeLessThan(lines);

    pty.ws.resume();
    const closed = await pty.closed;
    expect(closed.code).toBe(1000);
    expect(pty.control("exit")).toMatchObject({ exitCode: 0 });
    const got = pty.text().split("\n").filter((l) => l !== "");
    expect(got.length).toBe(lines);
    const firstBad = got.findIndex((line, i) => !line.startsWith(`${String(i).padStart(8, "0")} `) || line.length !== 989);
    expect(firstBad).toBe(-1);
  });
});
