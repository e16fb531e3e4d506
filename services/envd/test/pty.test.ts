import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Status } from "nice-grpc";
import { collect, isAlive, readUntil, startEnvd, statusOf, type RunningEnvd } from "./harness.js";

let envd: RunningEnvd;
beforeAll(async () => {
  envd = await startEnvd({ WRENN_ENVD_PTY_IDLE_MS: "1500" });
});
afterAll(async () => {
  await envd?.stop();
});

const type = (pid: number, text: string) => envd.process.sendInput({ process: { pid }, data: Buffer.from(text) });

describe("PTY processes", () => {
  it("run bash in a terminal; a resize reaches tput cols", async () => {
    const abort = new AbortController();
    const stream = envd.process.start(
      { process: { cmd: "bash", args: ["--norc", "--noprofile", "-i"], envs: { PS1: "$ " } }, tag: "pty-bash", pty: { rows: 24, cols: 80 } },
      { signal: abort.signal },
    );
    let got = await readUntil(stream, (t) => t.includes("$ "));
    const pid = got.events[0]!.start!.pid;
    await type(pid, "tty; tput cols\r");
    got = await readUntil({ [Symbol.asyncIterator]: () => got.rest }, (t) => /\r\n80\r\n/.test(t));
    expect(got.text).toMatch(/\/dev\/pts\/\d+/);

    await envd.process.update({ process: { tag: "pty-bash" }, pty: { rows: 40, cols: 132 } });
    await type(pid, "tput cols; tput lines\r");
    got = await readUntil({ [Symbol.asyncIterator]: () => got.rest }, (t) => /\r132\r\n40\r\n/.test(t));

    const listed = (await envd.process.list({})).processes.find((p) => p.pid === pid);
    expect(listed?.pty).toEqual({ rows: 40, cols: 132 });

    await type(pid, "exit 7\r");
    const rest = await collect({ [Symbol.asyncIterator]: () => got.rest } as AsyncIterable<never>);
    expect(rest.end).toMatchObject({ exitCode: 7, exited: true });
    abort.abort();
  });

  it("runs several sessions at once, each re-attachable by tag after a disconnect", async () => {
    const sessions: { pid: number; tag: string }[] = [];
    for (const tag of ["pty-a", "pty-b"]) {
      const abort = new AbortController();
      const stream = envd.process.start(
        { process: { cmd: "bash", args: ["--norc", "--noprofile", "-i"], envs: { PS1: "$ " } }, tag, pty: { rows: 24, cols: 80 } },
        { signal: abort.signal },
      );
      const got = await readUntil(stream, (t) => t.includes("$ "));
      const pid = got.events[0]!.start!.pid;
      await type(pid, `echo session-$((40+2))-${tag}\r`);
      await readUntil({ [Symbol.asyncIterator]: () => got.rest }, (t) => t.includes(`session-42-${tag}`));
      abort.abort(); // disconnect: a PTY survives its client
      sessions.push({ pid, tag });
    }
    for (const { pid, tag } of sessions) {
      expect(isAlive(pid)).toBe(true);
      const abort = new AbortController();
      const got = await readUntil(envd.process.connect({ process: { tag } }, { signal: abort.signal }), (t) => t.includes(`session-42-${tag}`));
      expect(got.events[0]?.start?.pid).toBe(pid);
      await type(pid, "echo again\r");
      const more = await readUntil({ [Symbol.asyncIterator]: () => got.rest }, (t) => t.includes("again\r\n"));
      expect(more.text).toContain("again");
      abort.abort();
    }
    for (const { tag } of sessions) await envd.process.kill({ selector: tag });
  });

  it("closes a PTY left without clients for the idle time", async () => {
    const abort = new AbortController();
    const stream = envd.process.start({ process: { cmd: "sleep", args: ["60"] }, tag: "pty-idle", pty: { rows: 10, cols: 10 } }, { signal: abort.signal });
    const got = await readUntil(stream, (_t, e) => e.length > 0);
    const pid = got.events[0]!.start!.pid;
    abort.abort();
    await new Promise((r) => setTimeout(r, 800));
    expect(isAlive(pid)).toBe(true); // not yet idle long enough
    await expect.poll(() => isAlive(pid), { timeout: 5_000, message: `pid ${pid} to exit` }).toBe(false);
    await expect
      .poll(async () => (await envd.process.list({})).processes.filter((p) => p.tag === "pty-idle"), { timeout: 5_000, message: "pty-idle to leave the list" })
      .toEqual([]);
    expect(await statusOf(envd.process.connect({ process: { tag: "pty-idle" } }))).toBe(Status.NOT_FOUND);
  });

  it("delivers high-volume output complete and in order to a slow client", async () => {
    // -opost: the terminal passes "\n" through unchanged, so bytes can be compared exactly.
    const stream = envd.process.start({
      process: { cmd: "bash", args: ["-c", "stty -opost -echo; seq 1 1000000"] },
      pty: { rows: 24, cols: 80 },
    });
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const { event } of stream) {
      if (event?.data?.pty) chunks.push(event.data.pty);
      if ((n += 1) === 5) await new Promise((r) => setTimeout(r, 1_000)); // a slow client for a while
    }
    const out = Buffer.concat(chunks).toString();
    let expected = "";
    for (let i = 1; i <= 1_000_000; i += 1) expected += `${i}\n`;
    expect(out.length).toBe(expected.length);
    expect(out === expected).toBe(true);
  }, 30_000);

  it("slows a flooding PTY program down for a paused client instead of buffering (bounded memory)", async () => {
    const pid = envd.child.pid!;
    const hwm = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? "0") / 1024;
    const before = hwm();
    let received = 0;
    let first = true;
    for await (const { event } of envd.process.start({
      process: { cmd: "bash", args: ["-c", "stty -opost; head -c 100000000 /dev/zero"] },
      pty: { rows: 24, cols: 80 },
    })) {
      if (first && event?.data?.pty) {
        first = false;
        await new Promise((r) => setTimeout(r, 1_500)); // unbounded buffering would pull ~100 MB in now
      }
      received += event?.data?.pty?.length ?? 0;
    }
    expect(received).toBe(100_000_000);
    expect(hwm() - before).toBeLessThan(60);
  }, 30_000);

  it("coalesces a burst of streamed keystrokes and loses none", async () => {
    const abort = new AbortController();
    const stream = envd.process.start(
      { process: { cmd: "bash", args: ["-c", "stty -echo -icanon; head -c 3000 | md5sum"] }, tag: "pty-burst", pty: { rows: 24, cols: 80 } },
      { signal: abort.signal },
    );
    const it = stream[Symbol.asyncIterator]();
    const pid = (await it.next()).value!.event!.start!.pid;
    await new Promise((r) => setTimeout(r, 200)); // let stty run before typing
    const text = Array.from({ length: 3000 }, (_, i) => String.fromCharCode(97 + (i % 26))).join("");
    async function* keys() {
      yield { process: { pid }, data: Buffer.alloc(0) };
      for (const ch of text) yield { process: undefined, data: Buffer.from(ch) };
    }
    await envd.process.streamInput(keys());
    const run = await collect({ [Symbol.asyncIterator]: () => it } as AsyncIterable<never>);
    const { createHash } = await import("node:crypto");
    expect(Buffer.concat(run.events.map((e) => e?.data?.pty ?? Buffer.alloc(0))).toString()).toContain(
      createHash("md5").update(text).digest("hex"),
    );
  });

  it("kills a PTY process group at its timeout and says so", async () => {
    const run = await collect(
      envd.process.start({ process: { cmd: "bash", args: ["-c", "sleep 30 & sleep 30"] }, pty: { rows: 24, cols: 80 }, timeoutMs: 300 }),
    );
    expect(run.end).toMatchObject({ timedOut: true, exited: false, signal: "SIGKILL" });
  });

  it("runs as another user with that user's terminal", async () => {
    const run = await collect(
      envd.process.start({ process: { cmd: "bash", args: ["-c", "id -u; stat -c %U $(tty)"], user: "nobody" }, pty: { rows: 24, cols: 80 } }),
    );
    const text = Buffer.concat(run.events.map((e) => e?.data?.pty ?? Buffer.alloc(0))).toString();
    expect(text.split(/\r?\n/).filter(Boolean)).toEqual(["65534", "nobody"]);
    expect(run.end.exitCode).toBe(0);
  });

  it("refuses a resize of a non-PTY process and bad sizes", async () => {
    const stream = envd.process.start({ process: { cmd: "sleep", args: ["30"] }, tag: "not-a-pty", background: true });
    const it = stream[Symbol.asyncIterator]();
    const pid = (await it.next()).value!.event!.start!.pid;
    expect(await statusOf(envd.process.update({ process: { pid }, pty: { rows: 10, cols: 10 } }))).toBe(Status.FAILED_PRECONDITION);
    expect(await statusOf(envd.process.update({ process: { pid } }))).toBe(Status.INVALID_ARGUMENT);
    expect(await statusOf(envd.process.start({ process: { cmd: "true" }, pty: { rows: 0, cols: 80 } }))).toBe(Status.INVALID_ARGUMENT);
    expect(await statusOf(envd.process.start({ process: { cmd: "true" }, pty: { rows: 24, cols: 70000 } }))).toBe(Status.INVALID_ARGUMENT);
    await envd.process.kill({ selector: String(pid) });
  });
});
