import { Status } from "nice-grpc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Signal } from "@wrenn/gen/wrenn/envd/v1/process.js";
import { collect, isAlive, readUntil, startEnvd, statusOf, type RunningEnvd } from "./harness.js";

let envd: RunningEnvd;
beforeAll(async () => {
  envd = await startEnvd({ WRENN_ENVD_REPLAY_BYTES: "65536" });
});
afterAll(async () => {
  await envd?.stop();
});

/** Starts a background process, reads until `marker`, then disconnects. */
async function startBackground(tag: string, script: string, marker: string, extra: object = {}) {
  const abort = new AbortController();
  const stream = envd.process.start(
    { process: { cmd: "bash", args: ["-c", script] }, tag, background: true, ...extra },
    { signal: abort.signal },
  );
  const got = await readUntil(stream, (text) => text.includes(marker));
  abort.abort();
  await got.rest.next().catch(() => {});
  return { pid: got.events[0]!.start!.pid, text: got.text };
}

describe("background processes", () => {
  it("survive their client, are listed, and re-attach by tag with the output buffered since the start", async () => {
    const { pid } = await startBackground("bg-survivor", "echo one; sleep 0.3; echo two; sleep 0.3; echo three; sleep 30", "one");
    await new Promise((r) => setTimeout(r, 800));
    expect(isAlive(pid)).toBe(true);

    const { processes } = await envd.process.list({});
    const listed = processes.find((p) => p.pid === pid);
    expect(listed).toMatchObject({ tag: "bg-survivor", cmd: "bash", args: ["-c", expect.stringContaining("echo one")], background: true, clients: 0 });
    expect(listed!.startedAt!.getTime()).toBeGreaterThan(Date.now() - 10_000);

    const abort = new AbortController();
    const got = await readUntil(envd.process.connect({ process: { tag: "bg-survivor" } }, { signal: abort.signal }), (t) => t.includes("three"));
    expect(got.events[0]?.start).toEqual({ pid, tag: "bg-survivor" });
    expect(got.text).toBe("one\ntwo\nthree\n");
    abort.abort();

    const killed = await envd.process.kill({ selector: "bg-survivor" });
    expect(killed.pids).toEqual([pid]);
    await expect.poll(() => isAlive(pid), { timeout: 5_000, message: `pid ${pid} to exit` }).toBe(false);
  });

  it("marks a replay whose oldest output was dropped, then sends the newest output oldest first", async () => {
    // 200 KB of numbered lines into a 64 KiB replay buffer, with nobody attached.
    const { pid } = await startBackground("bg-flood", "echo go; seq 1 40000; echo done; sleep 30", "go");
    await new Promise((r) => setTimeout(r, 500));
    const abort = new AbortController();
    const got = await readUntil(envd.process.connect({ process: { pid } }, { signal: abort.signal }), (t) => t.includes("done\n"));
    abort.abort();
    expect(got.events[1]?.truncated?.droppedBytes).toBeGreaterThan(100_000);
    const lines = got.text.trim().split("\n");
    expect(lines.at(-1)).toBe("done");
    const numbers = lines.slice(1, -1).map(Number); // the first line may be cut mid-chunk
    expect(numbers.at(-1)).toBe(40000);
    numbers.forEach((n, i) => i > 0 && expect(n).toBe(numbers[i - 1] + 1));
    await envd.process.kill({ selector: String(pid) });
  });

  it("takes input until stdin is closed", async () => {
    const abort = new AbortController();
    const stream = envd.process.start(
      { process: { cmd: "cat" }, tag: "bg-cat", background: true, keepStdinOpen: true },
      { signal: abort.signal },
    );
    const it = stream[Symbol.asyncIterator]();
    const first = await it.next();
    const pid = first.value!.event!.start!.pid;
    await envd.process.sendInput({ process: { tag: "bg-cat" }, data: Buffer.from("hello ") });
    await envd.process.sendInput({ process: { pid }, data: Buffer.from("world\n") });
    await envd.process.closeStdin({ process: { pid } });
    const rest = await collect({ [Symbol.asyncIterator]: () => it } as AsyncIterable<never>).catch(() => undefined);
    expect(rest?.stdout.toString()).toBe("hello world\n");
    expect(rest?.end.exitCode).toBe(0);
    expect(await statusOf(envd.process.sendInput({ process: { pid }, data: Buffer.from("x") }))).toBe(Status.NOT_FOUND);
  });

  it("refuses input to a process whose stdin is closed", async () => {
    const abort = new AbortController();
    const stream = envd.process.start({ process: { cmd: "sleep", args: ["30"] }, tag: "bg-nostdin", background: true }, { signal: abort.signal });
    const { events } = await readUntil(stream, (_t, e) => e.length > 0);
    abort.abort();
    const pid = events[0]!.start!.pid;
    expect(await statusOf(envd.process.sendInput({ process: { pid }, data: Buffer.from("x") }))).toBe(Status.FAILED_PRECONDITION);
    await envd.process.kill({ selector: String(pid) });
  });

  it("bounds input a process does not read: RESOURCE_EXHAUSTED instead of unbounded memory", async () => {
    const stream = envd.process.start({ process: { cmd: "sleep", args: ["30"] }, background: true, keepStdinOpen: true });
    const it = stream[Symbol.asyncIterator]();
    const pid = (await it.next()).value!.event!.start!.pid;
    const mib = Buffer.alloc(1024 * 1024, 120);
    let code: number | undefined;
    for (let i = 0; i < 8 && code === undefined; i += 1) {
      code = await envd.process.sendInput({ process: { pid }, data: mib }).then(
        () => undefined,
        (err: { code: number }) => err.code,
      );
    }
    expect(code).toBe(Status.RESOURCE_EXHAUSTED);
    await envd.process.kill({ selector: String(pid) });
    await collect({ [Symbol.asyncIterator]: () => it } as AsyncIterable<never>);
  });

  it("delivers TERM, INT and HUP, and refuses an invalid signal", async () => {
    for (const [signal, name] of [
      [Signal.SIGNAL_TERM, "SIGTERM"],
      [Signal.SIGNAL_INT, "SIGINT"],
      [Signal.SIGNAL_HUP, "SIGHUP"],
      [Signal.SIGNAL_KILL, "SIGKILL"],
    ] as const) {
      const stream = envd.process.start({ process: { cmd: "sleep", args: ["30"] }, background: true });
      const it = stream[Symbol.asyncIterator]();
      const pid = (await it.next()).value!.event!.start!.pid;
      const res = await envd.process.sendSignal({ process: { pid }, signal });
      expect(res.pids).toEqual([pid]);
      const run = await collect({ [Symbol.asyncIterator]: () => it } as AsyncIterable<never>);
      expect(run.end).toMatchObject({ exited: false, signal: name, exitCode: -1 });
    }
    const stream = envd.process.start({ process: { cmd: "sleep", args: ["30"] }, background: true, tag: "bg-badsig" });
    const it = stream[Symbol.asyncIterator]();
    const pid = (await it.next()).value!.event!.start!.pid;
    expect(await statusOf(envd.process.sendSignal({ process: { pid }, signal: 99 as Signal }))).toBe(Status.INVALID_ARGUMENT);
    expect(await statusOf(envd.process.sendSignal({ process: { pid }, signal: Signal.SIGNAL_UNSPECIFIED }))).toBe(Status.INVALID_ARGUMENT);
    expect(isAlive(pid)).toBe(true);
    await envd.process.kill({ selector: "bg-badsig" });
    await collect({ [Symbol.asyncIterator]: () => it } as AsyncIterable<never>);
  });

  it("kills every process with a tag, and needs a pid to connect when a tag is shared", async () => {
    const pids: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      const { pid } = await startBackground("bg-shared", "echo up; sleep 30", "up");
      pids.push(pid);
    }
    expect(await statusOf(envd.process.connect({ process: { tag: "bg-shared" } }))).toBe(Status.FAILED_PRECONDITION);
    const res = await envd.process.kill({ selector: "bg-shared" });
    expect(res.pids.sort()).toEqual([...pids].sort());
    await expect.poll(() => pids.filter(isAlive), { timeout: 5_000, message: "every killed process to exit" }).toEqual([]);
    await expect
      .poll(async () => (await envd.process.list({})).processes.filter((p) => p.tag === "bg-shared"), { timeout: 5_000, message: "bg-shared to leave the list" })
      .toEqual([]);
  });

  it("answers unknown pids and tags with NOT_FOUND and bad selectors with INVALID_ARGUMENT", async () => {
    expect(await statusOf(envd.process.kill({ selector: "999999" }))).toBe(Status.NOT_FOUND);
    expect(await statusOf(envd.process.kill({ selector: "no-such-tag" }))).toBe(Status.NOT_FOUND);
    expect(await statusOf(envd.process.kill({ selector: " " }))).toBe(Status.INVALID_ARGUMENT);
    expect(await statusOf(envd.process.connect({ process: { pid: 999999 } }))).toBe(Status.NOT_FOUND);
    expect(await statusOf(envd.process.connect({ process: {} }))).toBe(Status.INVALID_ARGUMENT);
    expect(await statusOf(envd.process.sendInput({ process: { tag: "nope" }, data: Buffer.from("x") }))).toBe(Status.NOT_FOUND);
    expect(await statusOf(envd.process.closeStdin({ process: { pid: 999999 } }))).toBe(Status.NOT_FOUND);
    expect(await statusOf(envd.process.sendSignal({ process: { tag: "nope" }, signal: Signal.SIGNAL_TERM }))).toBe(Status.NOT_FOUND);
    expect(await statusOf(envd.process.update({ process: { tag: "nope" }, pty: { rows: 5, cols: 5 } }))).toBe(Status.NOT_FOUND);
    expect(await statusOf(envd.process.start({ process: { cmd: "true" }, tag: "1234" }))).toBe(Status.INVALID_ARGUMENT);
  });

  it("kills a foreground process when its client leaves, but not a background one", async () => {
    const fg = new AbortController();
    const fgStream = envd.process.start({ process: { cmd: "sleep", args: ["30"] } }, { signal: fg.signal });
    const fgPid = (await readUntil(fgStream, (_t, e) => e.length > 0)).events[0]!.start!.pid;
    const { pid: bgPid } = await startBackground("bg-vs-fg", "echo up; sleep 30", "up");
    fg.abort();
    await expect.poll(() => isAlive(fgPid), { timeout: 5_000, message: `pid ${fgPid} to exit` }).toBe(false);
    expect(isAlive(bgPid)).toBe(true);
    await envd.process.kill({ selector: "bg-vs-fg" });
  });
});
