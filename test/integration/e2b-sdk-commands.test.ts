import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthenticationError, CommandExitError, Sandbox, TimeoutError } from "e2b";
import { useE2bStack } from "../harness/e2b-stack.js";

// The official e2b SDK's commands and pty modules against Wrenn, configured
// only through its environment (E2B_API_URL, E2B_SANDBOX_URL, E2B_API_KEY):
// what a user of E2B runs, checked the way they would check it.
const ctx = useE2bStack();
const runtime = process.env.WRENN_RUNTIME ?? "namespace";
let sbx: Sandbox;

beforeAll(async () => {
  sbx = await Sandbox.create();
});

afterAll(async () => {
  await sbx?.kill().catch(() => undefined);
});

/** The sandbox's envd access token as the SDK holds it (what it sends as X-Access-Token). */
function accessToken(): string {
  return (sbx as unknown as { envdAccessToken?: string }).envdAccessToken ?? "";
}

interface Wire {
  baseUrl: string;
  sandboxId: string;
  accessToken: string;
}

function wireHeaders(wire: Wire, contentType: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    "content-type": contentType,
    "connect-protocol-version": "1",
    "e2b-sandbox-id": wire.sandboxId,
    "x-access-token": wire.accessToken,
    ...extra,
  };
}

/** A unary Connect call with a JSON body, as the JS SDK makes it. */
async function connectUnary(wire: Wire, method: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${wire.baseUrl}/process.Process/${method}`, { method: "POST", headers: wireHeaders(wire, "application/json"), body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

/**
 * A streaming Connect call in the JSON envelope form (flag byte, 4-byte
 * length, JSON): one request message for a server stream, several for a
 * client stream. Answers the response messages and the end-of-stream error.
 */
async function connectStream(
  wire: Wire,
  method: string,
  request: unknown,
  headers: Record<string, string> = {},
): Promise<{ messages: unknown[]; error?: { code: string; message: string } }> {
  const frames = (Array.isArray(request) ? request : [request]).map((m) => {
    const json = Buffer.from(JSON.stringify(m));
    const head = Buffer.alloc(5);
    head.writeUInt32BE(json.length, 1);
    return Buffer.concat([head, json]);
  });
  const res = await fetch(`${wire.baseUrl}/process.Process/${method}`, {
    method: "POST",
    headers: wireHeaders(wire, "application/connect+json", headers),
    body: Buffer.concat(frames),
  });
  expect(res.status).toBe(200);
  const bytes = Buffer.from(await res.arrayBuffer());
  const messages: unknown[] = [];
  let error: { code: string; message: string } | undefined;
  for (let at = 0; at + 5 <= bytes.length; ) {
    const flags = bytes[at]!;
    const length = bytes.readUInt32BE(at + 1);
    const json: unknown = JSON.parse(bytes.subarray(at + 5, at + 5 + length).toString());
    at += 5 + length;
    if (flags & 0x02) error = (json as { error?: { code: string; message: string } }).error;
    else messages.push(json);
  }
  return { messages, error };
}

async function listedPids(): Promise<number[]> {
  return (await sbx.commands.list()).map((p) => p.pid);
}

describe("commands.run", () => {
  it("returns stdout, stderr and exit code 0", async () => {
    const result = await sbx.commands.run("echo hello; echo oops >&2");
    expect(result).toMatchObject({ exitCode: 0, stdout: "hello\n", stderr: "oops\n" });
    expect(result.error).toBeUndefined();
  });

  it("throws CommandExitError with the exit code, output and E2B's error text for a non-zero exit", async () => {
    const err: unknown = await sbx.commands.run("echo partial; echo bad >&2; exit 3").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandExitError);
    const exit = err as CommandExitError;
    expect(exit.exitCode).toBe(3);
    expect(exit.stdout).toBe("partial\n");
    expect(exit.stderr).toBe("bad\n");
    expect(exit.error).toBe("exit status 3");
    expect(exit.message).toBe("exit status 3");
  });

  it("passes envs and cwd, and runs in the user's home by default", async () => {
    expect((await sbx.commands.run("echo $GREETING-$OTHER", { envs: { GREETING: "hi", OTHER: "there" } })).stdout).toBe("hi-there\n");
    expect((await sbx.commands.run("pwd", { cwd: "/tmp" })).stdout).toBe("/tmp\n");
    const home = await sbx.commands.run('echo "$HOME"; pwd');
    const [envHome, cwd] = home.stdout.trim().split("\n");
    expect(cwd).toBe(envHome);
  });

  it("runs as root when asked", async () => {
    expect((await sbx.commands.run("id -un; id -u", { user: "root" })).stdout).toBe("root\n0\n");
  });

  it("runs as the sandbox's default user without a user", async () => {
    const named = (await sbx.commands.run("id -un")).stdout.trim();
    expect(named).not.toBe("");
    // The default user is a real account of the sandbox: naming it gives the same identity.
    expect((await sbx.commands.run("id -un", { user: named })).stdout.trim()).toBe(named);
  });

  it("refuses a user the sandbox does not have", async () => {
    await expect(sbx.commands.run("true", { user: "no-such-user-e2b" })).rejects.toThrow(/no-such-user-e2b/);
  });

  it("calls onStdout and onStderr with the output as it comes", async () => {
    const out: string[] = [];
    const errs: string[] = [];
    const result = await sbx.commands.run("echo one; sleep 0.3; echo two; echo warn >&2", {
      onStdout: (d) => void out.push(d),
      onStderr: (d) => void errs.push(d),
    });
    expect(out.join("")).toBe("one\ntwo\n");
    expect(errs.join("")).toBe("warn\n");
    expect(result.stdout).toBe("one\ntwo\n");
  });

  it("ends a command past timeoutMs with TimeoutError, and the command is killed", async () => {
    const started = Date.now();
    const marker = `sleep-timeout-${started}`;
    const err: unknown = await sbx.commands.run(`exec -a ${marker} sleep 30`, { timeoutMs: 1_500 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(Date.now() - started).toBeLessThan(15_000);
    await expect
      .poll(async () => (await sbx.commands.list()).filter((p) => p.args.some((a) => a.includes(marker))).length, { timeout: 10_000 })
      .toBe(0);
    // "[s]leep…" matches the killed process's command line but not this check's own.
    expect((await sbx.commands.run(`pgrep -f '[${marker.charAt(0)}]${marker.slice(1)}' || echo none`)).stdout).toBe("none\n");
  });

  it("reports a command ended by a signal as exit code -1 and 'signal: killed'", async () => {
    const err: unknown = await sbx.commands.run("kill -9 $$").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandExitError);
    expect((err as CommandExitError).exitCode).toBe(-1);
    expect((err as CommandExitError).error).toBe("signal: killed");
  });
});

describe("background commands", () => {
  it("are listed with their command, and kill ends them (false for a pid that is gone)", async () => {
    const handle = await sbx.commands.run("sleep 120", { background: true, timeoutMs: 0 });
    const listed = (await sbx.commands.list()).find((p) => p.pid === handle.pid);
    expect(listed).toMatchObject({ cmd: "/bin/bash", args: ["-l", "-c", "sleep 120"] });
    expect(listed?.tag).toBeUndefined();

    expect(await sbx.commands.kill(handle.pid)).toBe(true);
    const err: unknown = await handle.wait().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandExitError);
    expect((err as CommandExitError).exitCode).toBe(-1);
    await expect.poll(listedPids, { timeout: 10_000 }).not.toContain(handle.pid);
    expect(await sbx.commands.kill(handle.pid)).toBe(false);
  });

  it("keep running after disconnect, and connect re-attaches by pid with the output so far", async () => {
    const handle = await sbx.commands.run("echo first; sleep 1.5; echo second", { background: true });
    await handle.disconnect();
    expect(await listedPids()).toContain(handle.pid);
    const again = await sbx.commands.connect(handle.pid);
    const result = await again.wait();
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe("first\nsecond\n");
  });

  it("take stdin with sendStdin, and see end of file after closeStdin", async () => {
    const handle = await sbx.commands.run("read line; echo got:$line; cat", { background: true, stdin: true });
    await sbx.commands.sendStdin(handle.pid, "hello\n");
    await handle.sendStdin("rest of it\n");
    await handle.closeStdin();
    const result = await handle.wait();
    expect(result.stdout).toBe("got:hello\nrest of it\n");
  });

  it("connect to a pid that is not running is NotFound", async () => {
    await expect(sbx.commands.connect(999_999)).rejects.toThrow(/999999/);
  });
});

describe("pty", () => {
  it("runs a terminal: input, resize, kill", async () => {
    let screen = "";
    const decoder = new TextDecoder();
    const term = await sbx.pty.create({ cols: 80, rows: 24, onData: (d) => void (screen += decoder.decode(d, { stream: true })) });
    expect(await listedPids()).toContain(term.pid);

    await sbx.pty.sendInput(term.pid, new TextEncoder().encode("echo sum-$((40+2))\n"));
    await expect.poll(() => screen, { timeout: 10_000 }).toContain("sum-42");

    await sbx.pty.resize(term.pid, { cols: 100, rows: 30 });
    await sbx.pty.sendInput(term.pid, new TextEncoder().encode("stty size\n"));
    await expect.poll(() => screen, { timeout: 10_000 }).toContain("30 100");

    expect(await sbx.pty.kill(term.pid)).toBe(true);
    await expect(term.wait()).rejects.toBeInstanceOf(CommandExitError);
    await expect.poll(listedPids, { timeout: 10_000 }).not.toContain(term.pid);
  });
});

describe("credentials", () => {
  it("a wrong or missing envd access token is the SDK's AuthenticationError", async () => {
    for (const envdAccessToken of ["wra_" + "0".repeat(40), undefined]) {
      const forged = new Sandbox({ sandboxId: sbx.sandboxId, envdVersion: "0.5.7", envdAccessToken });
      await expect(forged.commands.run("true")).rejects.toBeInstanceOf(AuthenticationError);
      await expect(forged.commands.list()).rejects.toBeInstanceOf(AuthenticationError);
    }
  });
});

describe("process.Process on the wire (what the SDKs rely on)", () => {
  const wire = (): Wire => ({ baseUrl: ctx.stack.httpUrl, sandboxId: sbx.sandboxId, accessToken: accessToken() });

  it("Start: start event first, keepalives at the asked interval while quiet, end last", async () => {
    const events = await connectStream(wire(), "Start", { process: { cmd: "/bin/bash", args: ["-c", "sleep 2.5; echo done"] } }, { "keepalive-ping-interval": "1" });
    const kinds = events.messages.map((m) => Object.keys((m as { event: object }).event)[0]);
    expect(kinds[0]).toBe("start");
    expect(kinds.at(-1)).toBe("end");
    expect(kinds.filter((k) => k === "keepalive").length).toBeGreaterThanOrEqual(2);
    expect(events.messages.at(-1)).toEqual({ event: { end: { exited: true, status: "exit status 0" } } });
    expect(events.error).toBeUndefined();
  });

  it("a tagged process is listed with its tag and config, re-attached and fed by tag", async () => {
    const tag = `e2b-tag-${Date.now()}`;
    const started = connectStream(wire(), "Start", { process: { cmd: "/bin/bash", args: ["-c", "read x; echo got:$x"], cwd: "/tmp" }, tag, stdin: true });
    await expect
      .poll(async () => ((await connectUnary(wire(), "List", {})).body as { processes?: { tag?: string }[] }).processes?.find((p) => p.tag === tag), { timeout: 10_000 })
      .toMatchObject({ tag, config: { cmd: "/bin/bash", args: ["-c", "read x; echo got:$x"], cwd: "/tmp" } });
    const attached = connectStream(wire(), "Connect", { process: { tag } });
    expect((await connectUnary(wire(), "SendInput", { process: { tag }, input: { stdin: Buffer.from("it\n").toString("base64") } })).status).toBe(200);
    for (const stream of [await started, await attached]) {
      const stdout = stream.messages
        .map((m) => (m as { event: { data?: { stdout?: string } } }).event.data?.stdout)
        .filter((d): d is string => d !== undefined)
        .map((d) => Buffer.from(d, "base64").toString())
        .join("");
      expect(stdout).toBe("got:it\n");
      expect(stream.messages.at(-1)).toEqual({ event: { end: { exited: true, status: "exit status 0" } } });
    }
  });

  it("StreamInput: a client stream of start then data events reaches the process", async () => {
    const handle = await sbx.commands.run("read a; read b; echo $a+$b", { background: true, stdin: true });
    const answer = await connectStream(wire(), "StreamInput", [
      { start: { process: { pid: handle.pid } } },
      { data: { input: { stdin: Buffer.from("left\n").toString("base64") } } },
      { keepalive: {} },
      { data: { input: { stdin: Buffer.from("right\n").toString("base64") } } },
    ]);
    expect(answer.error).toBeUndefined();
    expect((await handle.wait()).stdout).toBe("left+right\n");
  });

  it("StreamInput whose first event is not start is invalid_argument", async () => {
    const answer = await connectStream(wire(), "StreamInput", [{ data: { input: { stdin: "eA==" } } }]);
    expect(answer.error?.code).toBe("invalid_argument");
  });

  it("SendSignal to an unknown pid is not_found, an unspecified signal invalid_argument", async () => {
    expect((await connectUnary(wire(), "SendSignal", { process: { pid: 999_999 }, signal: "SIGNAL_SIGKILL" })).body).toMatchObject({ code: "not_found" });
    expect((await connectUnary(wire(), "SendSignal", { process: { pid: 1 } })).body).toMatchObject({ code: "invalid_argument" });
  });

  it("requests naming no process, or another sandbox, get a status", async () => {
    expect((await connectStream(wire(), "Start", {})).error?.code).toBe("invalid_argument");
    expect((await connectStream(wire(), "Connect", {})).error?.code).toBe("invalid_argument");
    expect((await connectUnary(wire(), "SendInput", { input: { stdin: "eA==" } })).body).toMatchObject({ code: "invalid_argument" });
    expect((await connectUnary(wire(), "CloseStdin", { process: { tag: "" } })).body).toMatchObject({ code: "invalid_argument" });
    const elsewhere = await connectUnary({ ...wire(), sandboxId: "sb" + "0".repeat(32) }, "List", {});
    expect(elsewhere.body).toMatchObject({ code: "not_found" });
  });

  it("a bad access token is 401 unauthenticated", async () => {
    const answer = await connectUnary({ ...wire(), accessToken: "wra_" + "1".repeat(40) }, "List", {});
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ code: "unauthenticated" });
  });
});

describe.skipIf(runtime === "namespace")("users other than the runtime's own (a microVM has several; the namespace runtime maps one)", () => {
  it("runs as another account of the sandbox", async () => {
    const other = (await sbx.commands.run("getent passwd 1000 | cut -d: -f1", { user: "root" })).stdout.trim();
    expect((await sbx.commands.run("id -un", { user: other })).stdout.trim()).toBe(other);
  });
});
