import { describe, expect, it } from "vitest";
import { Status } from "nice-grpc";
import { Signal, type ProcessEvent } from "@wrenn/gen/wrenn/envd/v1/process.js";
import { useStackWithSandbox } from "../harness/stack-with-sandbox.js";
import { keyHeaders } from "../harness/api-key.js";

// Background processes and terminals through the public API, over gRPC and
// over HTTP, on a real stack: start detached, list, re-attach by tag with the
// output buffered since, input, EOF, signals, kill by tag, PTY resize.
const ctx = useStackWithSandbox();

/** Starts a background process and leaves once envd said it started: the process stays. */
async function startDetached(cmd: string, args: string[], extra: { tag?: string; pty?: { rows: number; cols: number } } = {}) {
  const leave = new AbortController();
  const events = ctx.client.processes.startProcess(
    { sandboxId: ctx.sandboxId, start: { process: { cmd, args, envs: {} }, tag: extra.tag, timeoutMs: 0, background: true, keepStdinOpen: true, pty: extra.pty } },
    { signal: leave.signal },
  );
  try {
    // Leaving the loop ends the call (a background process stays).
    for await (const { event } of events) if (event?.start) return event.start;
  } finally {
    leave.abort();
  }
  throw new Error("no start event");
}

/** Collects a Connect stream's output until `until` matches it or the process ends. */
async function attach(tag: string, until: (text: string) => boolean): Promise<{ text: string; end?: ProcessEvent["end"] }> {
  const leave = new AbortController();
  let text = "";
  try {
    for await (const { event } of ctx.client.processes.connectProcess({ sandboxId: ctx.sandboxId, process: { tag } }, { signal: leave.signal })) {
      if (event?.data?.stdout) text += Buffer.from(event.data.stdout).toString();
      if (event?.data?.pty) text += Buffer.from(event.data.pty).toString();
      if (event?.end) return { text, end: event.end };
      if (until(text)) return { text };
    }
  } catch (err) {
    if (!leave.signal.aborted) throw err;
  } finally {
    leave.abort();
  }
  return { text };
}

/** Resolves once exactly `count` clients are attached to the process with `tag`. */
async function attachedClients(tag: string, count: number): Promise<void> {
  await expect
    .poll(async () => (await ctx.client.processes.listProcesses({ sandboxId: ctx.sandboxId })).processes.find((x) => x.tag === tag)?.clients, {
      timeout: 60_000,
      message: `clients attached to ${tag}`,
    })
    .toBe(count);
}

async function listedTags(): Promise<string[]> {
  return (await ctx.client.processes.listProcesses({ sandboxId: ctx.sandboxId })).processes.map((p) => p.tag);
}

async function http(method: string, path: string, body?: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${ctx.stack.httpUrl}${path}`, { method, headers: keyHeaders(ctx.stack, body === undefined ? {} : { "content-type": "application/json" }), body });
  return { status: res.status, text: await res.text() };
}

describe("background processes through the public API", () => {
  it("a detached process is listed, re-attached by tag with its earlier output, takes input and ends on EOF", async () => {
    const started = await startDetached("sh", ["-c", "echo started; while read line; do echo got:$line; done; echo bye"], { tag: "echoer" });
    expect(started.tag).toBe("echoer");

    const listed = await ctx.client.processes.listProcesses({ sandboxId: ctx.sandboxId });
    expect(listed.processes.find((p) => p.tag === "echoer")).toMatchObject({ pid: started.pid, background: true, cmd: "sh" });

    await ctx.client.processes.sendProcessInput({ sandboxId: ctx.sandboxId, process: { tag: "echoer" }, data: Buffer.from("one\n") });
    const first = await attach("echoer", (t) => t.includes("got:one"));
    expect(first.text).toBe("started\ngot:one\n");

    await ctx.client.processes.streamProcessInput(
      (async function* () {
        yield { sandboxId: ctx.sandboxId, process: { pid: started.pid }, data: Buffer.from("two\n") };
        yield { sandboxId: "", process: undefined, data: Buffer.from("three\n") };
      })(),
    );
    // Attached before stdin closes: a process that has ended can no longer be connected to.
    await attachedClients("echoer", 0);
    const watching = attach("echoer", () => false);
    await attachedClients("echoer", 1);
    await ctx.client.processes.closeProcessStdin({ sandboxId: ctx.sandboxId, process: { tag: "echoer" } });
    const rest = await watching;
    expect(rest.text).toBe("started\ngot:one\ngot:two\ngot:three\nbye\n");
    expect(rest.end).toMatchObject({ exited: true, exitCode: 0 });
    await expect.poll(() => listedTags(), { timeout: 60_000, message: "the listed processes' tags" }).not.toContain("echoer");
  });

  it("signals and kills by tag (several processes at once), and says which pids", async () => {
    const a = await startDetached("sleep", ["300"], { tag: "sleepers" });
    const b = await startDetached("sleep", ["300"], { tag: "sleepers" });
    const signalled = await ctx.client.processes.signalProcess({ sandboxId: ctx.sandboxId, process: { pid: a.pid }, signal: Signal.SIGNAL_TERM });
    expect(signalled.pids).toEqual([a.pid]);
    await expect
      .poll(async () => (await ctx.client.processes.listProcesses({ sandboxId: ctx.sandboxId })).processes.map((p) => p.pid), {
        timeout: 60_000,
        message: "the listed processes' pids",
      })
      .not.toContain(a.pid);
    const c = await startDetached("sleep", ["300"], { tag: "sleepers" });
    const killed = await ctx.client.processes.killProcess({ sandboxId: ctx.sandboxId, selector: "sleepers" });
    expect([...killed.pids].sort()).toEqual([b.pid, c.pid].sort());
    await expect.poll(() => listedTags(), { timeout: 60_000, message: "the listed processes' tags" }).not.toContain("sleepers");
  });

  it("a PTY session is resized and the program sees the new width", async () => {
    await startDetached("bash", ["--norc", "--noprofile"], { tag: "term", pty: { rows: 24, cols: 80 } });
    await ctx.client.processes.updateProcess({ sandboxId: ctx.sandboxId, process: { tag: "term" }, pty: { rows: 40, cols: 132 } });
    await ctx.client.processes.sendProcessInput({ sandboxId: ctx.sandboxId, process: { tag: "term" }, data: Buffer.from("echo cols=$(tput cols)\n") });
    const out = await attach("term", (t) => /cols=\d+/.test(t));
    expect(out.text).toMatch(/cols=132/);
    const listed = (await ctx.client.processes.listProcesses({ sandboxId: ctx.sandboxId })).processes.find((p) => p.tag === "term");
    expect(listed?.pty).toEqual({ rows: 40, cols: 132 });
    await ctx.client.processes.killProcess({ sandboxId: ctx.sandboxId, selector: "term" });
  });

  it("bad selectors, signals and sizes are INVALID_ARGUMENT; unknown processes and sandboxes NOT_FOUND", async () => {
    await expect(ctx.client.processes.sendProcessInput({ sandboxId: ctx.sandboxId, process: undefined, data: Buffer.from("x") })).rejects.toMatchObject({
      code: Status.INVALID_ARGUMENT,
      details: expect.stringContaining("pid or its tag"),
    });
    await expect(ctx.client.processes.signalProcess({ sandboxId: ctx.sandboxId, process: { tag: "x" }, signal: Signal.SIGNAL_UNSPECIFIED })).rejects.toMatchObject({
      code: Status.INVALID_ARGUMENT,
    });
    await expect(ctx.client.processes.updateProcess({ sandboxId: ctx.sandboxId, process: { tag: "x" }, pty: { rows: 0, cols: 10 } })).rejects.toMatchObject({
      code: Status.INVALID_ARGUMENT,
    });
    await expect(ctx.client.processes.closeProcessStdin({ sandboxId: ctx.sandboxId, process: { tag: "no-such-tag" } })).rejects.toMatchObject({ code: Status.NOT_FOUND });
    await expect(ctx.client.processes.killProcess({ sandboxId: ctx.sandboxId, selector: "999999" })).rejects.toMatchObject({ code: Status.NOT_FOUND });
    await expect(ctx.client.processes.listProcesses({ sandboxId: `sb-${"0".repeat(32)}` })).rejects.toMatchObject({ code: Status.NOT_FOUND });
    const tooBig = Buffer.alloc(1024 * 1024 + 1);
    await expect(ctx.client.processes.sendProcessInput({ sandboxId: ctx.sandboxId, process: { tag: "x" }, data: tooBig })).rejects.toMatchObject({
      code: Status.INVALID_ARGUMENT,
    });
  });
});

describe("background processes over HTTP, as curl uses them", () => {
  it("start detached, list, send input, stream input as NDJSON, connect, kill with DELETE", async () => {
    const controller = new AbortController();
    const start = await fetch(`${ctx.stack.httpUrl}/v1/sandboxes/${ctx.sandboxId}/processes`, {
      method: "POST",
      headers: keyHeaders(ctx.stack),
      body: JSON.stringify({ process: { cmd: "sh", args: ["-c", "while read l; do echo http:$l; done"] }, tag: "web", background: true, keepStdinOpen: true }),
      signal: controller.signal,
    });
    expect(start.status).toBe(200);
    const reader = start.body!.getReader();
    const firstLine = Buffer.from((await reader.read()).value!).toString().split("\n")[0];
    expect(JSON.parse(firstLine).event.start.tag).toBe("web");
    controller.abort();

    const list = await http("GET", `/v1/sandboxes/${ctx.sandboxId}/processes`);
    expect(list.status).toBe(200);
    expect(JSON.parse(list.text).processes.some((p: { tag: string }) => p.tag === "web")).toBe(true);

    const input = await http("POST", `/v1/sandboxes/${ctx.sandboxId}/processes/input`, JSON.stringify({ process: { tag: "web" }, data: Buffer.from("a\n").toString("base64") }));
    expect(input.status).toBe(200);
    const lines = [
      JSON.stringify({ process: { tag: "web" }, data: Buffer.from("b\n").toString("base64") }),
      JSON.stringify({ data: Buffer.from("c\n").toString("base64") }),
    ].join("\n");
    const streamed = await http("POST", `/v1/sandboxes/${ctx.sandboxId}/processes/input/stream`, lines);
    expect(streamed.status).toBe(200);
    await attachedClients("web", 0);
    const connecting = http("POST", `/v1/sandboxes/${ctx.sandboxId}/processes/connect`, JSON.stringify({ process: { tag: "web" } }));
    await attachedClients("web", 1);
    const closed = await http("POST", `/v1/sandboxes/${ctx.sandboxId}/processes/close-stdin`, JSON.stringify({ process: { tag: "web" } }));
    expect(closed.status).toBe(200);
    const connected = await connecting;
    expect(connected.status).toBe(200);
    const events = connected.text.trim().split("\n").map((l) => JSON.parse(l).event);
    const stdout = events.filter((e) => e.data?.stdout).map((e) => Buffer.from(e.data.stdout, "base64").toString()).join("");
    expect(stdout).toBe("http:a\nhttp:b\nhttp:c\n");
    expect(events.at(-1).end.exitCode).toBe(0);

    await startDetached("sleep", ["300"], { tag: "doomed" });
    const killed = await http("DELETE", `/v1/sandboxes/${ctx.sandboxId}/processes/doomed`);
    expect(killed.status).toBe(200);
    expect(JSON.parse(killed.text).pids).toHaveLength(1);
    const again = await http("DELETE", `/v1/sandboxes/${ctx.sandboxId}/processes/doomed`);
    expect(again.status).toBe(404);
    expect(JSON.parse(again.text).code).toBe("NOT_FOUND");
    const noSelector = await http("POST", `/v1/sandboxes/${ctx.sandboxId}/processes/signal`, JSON.stringify({ signal: "SIGNAL_TERM" }));
    expect(noSelector.status).toBe(400);
  });
});
