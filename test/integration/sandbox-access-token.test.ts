import { beforeAll, describe, expect, it } from "vitest";
import { ClientError, Metadata, Status } from "nice-grpc";
import { createWrennClient, SandboxStatus, type WrennClient } from "@wrenn/client";
import { adminSessionCookie } from "../harness/admin-session.js";
import { signUpTeamWithKey } from "../harness/signed-up-team.js";
import { useStackWithSandbox } from "../harness/stack-with-sandbox.js";
import { BridgeSession, bridgeUrl } from "./websocket-session.js";

// A sandbox's access token (Sandbox.access_token) on a real stack: it drives
// its own sandbox's processes and files over gRPC and HTTP, and nothing else.
const ctx = useStackWithSandbox();
let token: string;
let sibling: string;
let bare: WrennClient;

const asToken = (header = "x-wrenn-access-token") => ({ metadata: Metadata({ [header]: token }) });

beforeAll(async () => {
  const { sandbox } = await ctx.client.sandboxes.getSandbox({ sandboxId: ctx.sandboxId });
  token = sandbox!.accessToken;
  const made = await ctx.client.sandboxes.createSandbox({ templateId: "base", waitReady: true });
  expect(made.sandbox?.status).toBe(SandboxStatus.SANDBOX_STATUS_RUNNING);
  sibling = made.sandbox!.sandboxId;
  bare = createWrennClient(ctx.stack.grpcAddress);
  return async () => {
    bare.close();
    await ctx.client.sandboxes.destroySandbox({ sandboxId: sibling, wait: true }).catch(() => undefined);
  };
});

async function failure(call: Promise<unknown> | AsyncIterable<unknown>): Promise<ClientError> {
  try {
    if (Symbol.asyncIterator in call) for await (const _ of call);
    else await call;
  } catch (err) {
    if (err instanceof ClientError) return err;
    throw err;
  }
  throw new Error("the call succeeded");
}

/** Runs `sh -c script` in a sandbox with the token; its stdout. */
async function runWithToken(sandboxId: string, script: string, header?: string): Promise<string> {
  let stdout = "";
  const events = bare.processes.startProcess({ sandboxId, start: { process: { cmd: "/bin/sh", args: ["-c", script], envs: {} } } }, asToken(header));
  for await (const { event } of events) if (event?.data?.stdout) stdout += Buffer.from(event.data.stdout).toString();
  return stdout;
}

const filesUrl = (sandboxId: string, path: string) => `${ctx.stack.httpUrl}/v1/sandboxes/${sandboxId}/files?${new URLSearchParams({ path })}`;

describe("a sandbox access token", () => {
  it("is shown to the team, one per sandbox", async () => {
    expect(token).toMatch(/^wra_[A-Za-z0-9_-]{43}$/);
    const { sandbox } = await ctx.client.sandboxes.getSandbox({ sandboxId: sibling });
    expect(sandbox!.accessToken).toMatch(/^wra_/);
    expect(sandbox!.accessToken).not.toBe(token);
  });

  it("runs processes and reads and writes files in its sandbox, over gRPC with either header and over HTTP", async () => {
    expect(await runWithToken(ctx.sandboxId, "echo hello from the token")).toBe("hello from the token\n");
    expect(await runWithToken(ctx.sandboxId, "echo e2b header", "x-access-token")).toBe("e2b header\n");

    const up = await fetch(filesUrl(ctx.sandboxId, "/tmp/token/note.txt"), {
      method: "POST", headers: { "x-access-token": token, "content-type": "application/octet-stream" }, body: "written with a token",
    });
    expect(up.status).toBe(200);
    expect(await runWithToken(ctx.sandboxId, "cat /tmp/token/note.txt")).toBe("written with a token");
    const down = await fetch(filesUrl(ctx.sandboxId, "/tmp/token/note.txt"), { headers: { "x-wrenn-access-token": token } });
    expect(down.status).toBe(200);
    expect(await down.text()).toBe("written with a token");
    let read = "";
    for await (const chunk of bare.filesystem.readFile({ sandboxId: ctx.sandboxId, path: "/tmp/token/note.txt" }, asToken())) {
      if (chunk.data) read += Buffer.from(chunk.data).toString();
    }
    expect(read).toBe("written with a token");

    // A transcoded call through the gateway: the x-access-token header reaches the hook.
    const listed = await fetch(`${ctx.stack.httpUrl}/v1/sandboxes/${ctx.sandboxId}/processes`, { headers: { "x-access-token": token } });
    expect(listed.status).toBe(200);
  });

  it("answers another sandbox of the same team as not found, like an unknown id", async () => {
    const unknown = `sb-${"0".repeat(32)}`;
    for (const sandboxId of [sibling, unknown]) {
      const err = await failure(runWithToken(sandboxId, "true"));
      expect({ code: err.code, details: err.details }).toEqual({ code: Status.NOT_FOUND, details: "sandbox not found" });
      expect((await fetch(filesUrl(sandboxId, "/etc/hostname"), { headers: { "x-access-token": token } })).status).toBe(404);
    }
    const ports = await failure(bare.ports.listPorts({ sandboxId: sibling }, asToken()));
    expect(ports.code).toBe(Status.NOT_FOUND);
    expect((await bare.ports.listPorts({ sandboxId: ctx.sandboxId }, asToken())).ports).toBeDefined();
  });

  it("is not a key: listing, creating and destroying sandboxes are PERMISSION_DENIED (403)", async () => {
    const calls = [
      () => bare.sandboxes.listSandboxes({}, asToken()),
      () => bare.sandboxes.createSandbox({ templateId: "base" }, asToken()),
      () => bare.sandboxes.destroySandbox({ sandboxId: ctx.sandboxId }, asToken()),
      () => bare.sandboxes.getSandbox({ sandboxId: ctx.sandboxId }, asToken()),
    ];
    for (const call of calls) {
      const err = await failure(call());
      expect(err.code).toBe(Status.PERMISSION_DENIED);
      expect(err.details).toContain("sandbox access token reaches only");
    }
    const res = await fetch(`${ctx.stack.httpUrl}/v1/sandboxes`, { headers: { "x-access-token": token } });
    expect(res.status).toBe(403);
    expect((await ctx.client.sandboxes.getSandbox({ sandboxId: ctx.sandboxId })).sandbox?.status).toBe(SandboxStatus.SANDBOX_STATUS_RUNNING);
  });

  it("is never shown to another team, nor in the platform admin's listing of every team", async () => {
    const other = await signUpTeamWithKey(ctx.stack.httpUrl, "token-other");
    const theirs = createWrennClient(ctx.stack.grpcAddress, { apiKey: other.apiKey });
    try {
      expect((await failure(theirs.sandboxes.getSandbox({ sandboxId: ctx.sandboxId }))).code).toBe(Status.NOT_FOUND);
      const listed = await theirs.sandboxes.listSandboxes({});
      expect(JSON.stringify(listed)).not.toContain(token);
    } finally {
      theirs.close();
    }
    const cookie = await adminSessionCookie(ctx.stack);
    const all = await fetch(`${ctx.stack.httpUrl}/v1/admin/sandboxes`, { headers: { cookie } });
    expect(all.status).toBe(200);
    const text = await all.text();
    expect(text).toContain(ctx.sandboxId);
    expect(text).not.toContain(token);
  });

  it("opens a terminal over the WebSocket bridge as ?token= (a browser cannot set headers), in its sandbox only", async () => {
    const session = await BridgeSession.open(bridgeUrl(ctx.stack.httpUrl, `/v1/sandboxes/${ctx.sandboxId}/pty`, { token, cmd: "echo by-access-token" }));
    expect((await session.closed).code).toBe(1000);
    expect(session.text()).toMatch(/by-access-token/);
    const refused = await BridgeSession.open(bridgeUrl(ctx.stack.httpUrl, `/v1/sandboxes/${sibling}/pty`, { token, cmd: "true" })).then(
      () => "opened",
      (err: unknown) => String(err),
    );
    expect(refused).toMatch(/404/);
  });

  it("stops working once its sandbox is destroyed: UNAUTHENTICATED (401)", async () => {
    await ctx.client.sandboxes.destroySandbox({ sandboxId: ctx.sandboxId, wait: true });
    const err = await failure(runWithToken(ctx.sandboxId, "true"));
    expect({ code: err.code, details: err.details }).toEqual({ code: Status.UNAUTHENTICATED, details: "invalid sandbox access token" });
    expect((await fetch(filesUrl(ctx.sandboxId, "/etc/hostname"), { headers: { "x-access-token": token } })).status).toBe(401);
  });
});
