import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ClientError, Status } from "nice-grpc";
import { createWrennClient, SandboxStatus, type WrennClient } from "@wrenn/client";
import { startStack, type Stack } from "@wrenn/devstack";
import { signUpTeamWithKey } from "../harness/signed-up-team.js";

// Team isolation on the streaming paths of a real stack (namespace runtime).
// Team A (the bootstrap admin's team, the stack's key) owns a running
// sandbox with a background process and a listening server. Team B, a user
// who signed up and made a key through the API, gets on each of that
// sandbox's streams (exec output: StartProcess and ConnectProcess, WatchDir,
// WatchPorts) exactly what it gets for a sandbox that does not exist:
// NOT_FOUND over gRPC, 404 over HTTP, same message. A's own key streams; no
// key is UNAUTHENTICATED / 401 with WWW-Authenticate.
let stack: Stack;
let teamA: WrennClient;
let teamB: WrennClient;
let teamBKey: string;
let noKey: WrennClient;
let sandboxId: string;
const unknownId = `sb-${"0".repeat(32)}`;
const serverPort = 8125;

beforeAll(async () => {
  stack = await startStack({ runtime: "namespace" });
  teamA = createWrennClient(stack.grpcAddress, { apiKey: stack.apiKey });
  teamBKey = (await signUpTeamWithKey(stack.httpUrl, "team-b")).apiKey;
  teamB = createWrennClient(stack.grpcAddress, { apiKey: teamBKey });
  noKey = createWrennClient(stack.grpcAddress);
  const { sandbox } = await teamA.sandboxes.createSandbox({ templateId: "base", waitReady: true });
  expect(sandbox?.status).toBe(SandboxStatus.SANDBOX_STATUS_RUNNING);
  sandboxId = sandbox!.sandboxId;
  await startBackground("ticker", "sh", ["-c", "while true; do echo tick; sleep 1; done"]);
  await startBackground("server", "node", ["-e", `require("net").createServer().listen(${serverPort}, "127.0.0.1")`]);
  // Listening, so A's port watch starts with it open.
  await vi.waitFor(
    async () => {
      const { ports } = await teamA.ports.listPorts({ sandboxId });
      if (!ports.some((p) => p.port === serverPort)) throw new Error(`port ${serverPort} not listed yet`);
    },
    { timeout: 60_000, interval: 200 },
  );
}, 300_000);

afterAll(async () => {
  if (sandboxId) await teamA.sandboxes.destroySandbox({ sandboxId, wait: true }).catch(() => undefined);
  for (const client of [teamA, teamB, noKey]) client?.close();
  await stack?.close();
});

async function startBackground(tag: string, cmd: string, args: string[]): Promise<void> {
  const start = teamA.processes.startProcess({ sandboxId, start: { process: { cmd, args, envs: {} }, tag, timeoutMs: 0, background: true } });
  for await (const { event } of start) if (event?.start) break;
}

type Stream = (client: WrennClient, id: string, signal: AbortSignal) => AsyncIterable<unknown>;

/** Each stream, over gRPC and as its HTTP route (method, path under the sandbox, body). */
const streams: { name: string; grpc: Stream; http: [string, string, string?] }[] = [
  {
    name: "StartProcess (exec output)",
    grpc: (c, id, signal) => c.processes.startProcess({ sandboxId: id, start: { process: { cmd: "echo", args: ["hi"], envs: {} } } }, { signal }),
    http: ["POST", "/processes", JSON.stringify({ process: { cmd: "echo", args: ["hi"] } })],
  },
  {
    name: "ConnectProcess",
    grpc: (c, id, signal) => c.processes.connectProcess({ sandboxId: id, process: { tag: "ticker" } }, { signal }),
    http: ["POST", "/processes/connect", JSON.stringify({ process: { tag: "ticker" } })],
  },
  {
    name: "WatchDir",
    grpc: (c, id, signal) => c.filesystem.watchDir({ sandboxId: id, path: "/tmp", recursive: false }, { signal }),
    http: ["GET", "/files/watch?path=/tmp"],
  },
  {
    name: "WatchPorts",
    grpc: (c, id, signal) => c.ports.watchPorts({ sandboxId: id }, { signal }),
    http: ["GET", "/ports/watch"],
  },
];

/** The stream's first message, or the error it ended with; the call is left after one message. */
async function firstOf(stream: Stream, client: WrennClient, id: string): Promise<{ message?: unknown; error?: ClientError }> {
  const leave = new AbortController();
  try {
    for await (const message of stream(client, id, leave.signal)) return { message };
    return {};
  } catch (err) {
    if (err instanceof ClientError) return { error: err };
    throw err;
  } finally {
    leave.abort();
  }
}

/** One HTTP stream call: status, WWW-Authenticate and the first line of the body (then the call is left). */
async function httpFirst([method, path, body]: [string, string, string?], id: string, key?: string) {
  const leave = new AbortController();
  const headers: Record<string, string> = { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) };
  try {
    const res = await fetch(`${stack.httpUrl}/v1/sandboxes/${id}${path}`, { method, headers, body, signal: leave.signal });
    const reader = res.body!.getReader();
    let text = "";
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString("utf8");
    }
    return { status: res.status, wwwAuthenticate: res.headers.get("www-authenticate"), first: JSON.parse(text.split("\n")[0]) as Record<string, unknown> };
  } finally {
    leave.abort();
  }
}

describe.each(streams)("$name on another team's sandbox", (stream) => {
  it("over gRPC: team A's key streams; team B's is NOT_FOUND exactly as an unknown sandbox; no key is UNAUTHENTICATED", async () => {
    const own = await firstOf(stream.grpc, teamA, sandboxId);
    expect(own.error, String(own.error)).toBeUndefined();
    expect(own.message).toBeDefined();

    const other = await firstOf(stream.grpc, teamB, sandboxId);
    const missing = await firstOf(stream.grpc, teamB, unknownId);
    expect(other.error && Status[other.error.code]).toBe("NOT_FOUND");
    expect(other.error?.details).toBe(missing.error?.details);

    const anonymous = await firstOf(stream.grpc, noKey, sandboxId);
    expect(anonymous.error && Status[anonymous.error.code]).toBe("UNAUTHENTICATED");
  });

  it("over HTTP: 200 with A's key; 404 with B's, the same body as an unknown sandbox; 401 with WWW-Authenticate without a key", async () => {
    const own = await httpFirst(stream.http, sandboxId, stack.apiKey);
    expect(own.status, JSON.stringify(own.first)).toBe(200);

    const other = await httpFirst(stream.http, sandboxId, teamBKey);
    const missing = await httpFirst(stream.http, unknownId, teamBKey);
    expect(other.status).toBe(404);
    expect(other.first).toEqual(missing.first);
    expect(other.first).toMatchObject({ code: "NOT_FOUND" });

    const anonymous = await httpFirst(stream.http, sandboxId);
    expect(anonymous.status).toBe(401);
    expect(anonymous.wwwAuthenticate).toMatch(/^Bearer realm="wrenn"/);
    expect(anonymous.first).toMatchObject({ code: "UNAUTHENTICATED" });
  });
});

describe("what team B's refused calls did to team A's sandbox", () => {
  it("nothing: a command B tried to start never ran, and A's process still runs", async () => {
    const marker = "/tmp/started-by-team-b";
    const tried = teamB.processes.startProcess({ sandboxId, start: { process: { cmd: "touch", args: [marker], envs: {} } } });
    await expect((async () => { for await (const _ of tried) void _; })()).rejects.toMatchObject({ code: Status.NOT_FOUND });
    expect((await teamA.run(sandboxId, "sh", ["-c", `test -e ${marker}; echo $?`])).stdout).toBe("1\n");
    expect((await teamA.processes.listProcesses({ sandboxId })).processes.map((p) => p.tag)).toEqual(expect.arrayContaining(["ticker", "server"]));
    // And B does not see it listed: its team has no sandboxes.
    expect((await teamB.sandboxes.listSandboxes({})).sandboxes).toEqual([]);
  });
});
