import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { SandboxStatus } from "@wrenn/client";
import { useStackWithSandbox } from "../harness/stack-with-sandbox.js";
import { signUpTeamWithKey, type TeamKey } from "../harness/signed-up-team.js";
import { startEchoServer, startHttpServer, writeSite } from "./proxy-sandbox-servers.js";

// Who reaches a sandbox's ports through the proxy on a real stack: another
// team by no form (404 like an unknown sandbox), the traffic token by header
// or once by query (then a cookie), anyone for public ports; and a paused
// sandbox resumed by the first request when it was created with autoResume.
const ctx = useStackWithSandbox();
const run = promisify(execFile);
const site = "/tmp/proxy-site";
const unknown = `sb-${"0".repeat(32)}`;
let other: TeamKey;

beforeAll(async () => {
  other = await signUpTeamWithKey(ctx.stack.httpUrl, "proxy-other-team");
  await writeSite(ctx.client, ctx.sandboxId, site);
  await startHttpServer(ctx.client, ctx.sandboxId, 8000, site);
  await startEchoServer(ctx.client, ctx.sandboxId, 8002);
});

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${ctx.stack.httpUrl}${path}`, { headers, redirect: "manual" });
  return { status: res.status, body: await res.text(), location: res.headers.get("location"), setCookie: res.headers.get("set-cookie") };
}

/** A new sandbox serving the site on port 8000. */
async function servingSandbox(options: { publicPorts?: boolean; autoResume?: boolean }): Promise<string> {
  const { sandbox } = await ctx.client.sandboxes.createSandbox({ templateId: "base", waitReady: true, ...options });
  const id = sandbox!.sandboxId;
  await writeSite(ctx.client, id, site);
  await startHttpServer(ctx.client, id, 8000, site);
  return id;
}

async function pause(id: string): Promise<void> {
  expect((await ctx.client.sandboxes.pauseSandbox({ sandboxId: id, wait: true })).sandbox!.status).toBe(SandboxStatus.SANDBOX_STATUS_PAUSED);
}

describe("port proxy access on a real stack", () => {
  it("gives another team a 404 by every form, the same as an unknown sandbox", async () => {
    const theirKey = { "x-api-key": other.apiKey };
    const theirs = await get(`/proxy/${ctx.sandboxId}/8000/`, theirKey);
    const none = await get(`/proxy/${unknown}/8000/`, theirKey);
    expect(theirs.status).toBe(404);
    expect(theirs.body.replace(ctx.sandboxId, "ID")).toBe(none.body.replace(unknown, "ID"));
    expect((await get(`/proxy/${ctx.sandboxId}/8000/`, { authorization: `Bearer ${other.apiKey}` })).status).toBe(404);

    const port = new URL(ctx.stack.httpUrl).port;
    const { stdout } = await run("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "-H", `X-API-Key: ${other.apiKey}`, `http://8000-${ctx.sandboxId}.localhost:${port}/`]);
    expect(stdout).toBe("404");

    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/proxy/${ctx.sandboxId}/8002/`, { headers: theirKey });
      ws.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.once("open", () => reject(new Error("another team's WebSocket opened")));
      ws.once("error", reject);
    });
    expect(status).toBe(404);
  });

  it("refuses a request with no credential with 401, and serves the owner's", async () => {
    expect((await get(`/proxy/${ctx.sandboxId}/8000/`)).status).toBe(401);
    expect(await get(`/proxy/${ctx.sandboxId}/8000/`, { authorization: `Bearer ${ctx.stack.apiKey}` })).toMatchObject({ status: 200, body: "home page" });
  });

  it("opens the ports to the traffic token: by header, or once by query and then by the cookie it sets", async () => {
    const token = (await ctx.client.sandboxes.getSandbox({ sandboxId: ctx.sandboxId })).sandbox!.trafficToken;
    expect(token).toMatch(/^wrt_/);
    expect(await get(`/proxy/${ctx.sandboxId}/8000/`, { "x-wrenn-traffic-token": token })).toMatchObject({ status: 200, body: "home page" });

    const first = await get(`/proxy/${ctx.sandboxId}/8000/sub/?wrenn_traffic_token=${token}`);
    expect(first.status).toBe(307);
    expect(first.location).toBe(`/proxy/${ctx.sandboxId}/8000/sub/`);
    const cookie = first.setCookie!.split(";")[0];
    const listing = await get(first.location!, { cookie });
    expect(listing.status).toBe(200);
    expect(listing.body).toContain("a.txt");
    // The token opens only its own sandbox's ports.
    expect((await get(`/proxy/${unknown}/8000/`, { "x-wrenn-traffic-token": token })).status).toBe(404);
  });

  it("serves public ports to anyone, and answers 409 while such a sandbox is paused without autoResume", async () => {
    const id = await servingSandbox({ publicPorts: true });
    expect(await get(`/proxy/${id}/8000/`)).toMatchObject({ status: 200, body: "home page" });
    await pause(id);
    const paused = await get(`/proxy/${id}/8000/`);
    expect(paused.status).toBe(409);
    expect(JSON.parse(paused.body)).toMatchObject({ code: "FAILED_PRECONDITION" });
    await ctx.client.sandboxes.destroySandbox({ sandboxId: id, wait: true });
  });

  it("resumes a paused sandbox created with autoResume on the first request, which then succeeds", async () => {
    const id = await servingSandbox({ autoResume: true });
    await pause(id);
    const res = await get(`/proxy/${id}/8000/sub/a.txt`, { "x-api-key": ctx.stack.apiKey });
    expect(res).toMatchObject({ status: 200, body: "file a" });
    expect((await ctx.client.sandboxes.getSandbox({ sandboxId: id })).sandbox!.status).toBe(SandboxStatus.SANDBOX_STATUS_RUNNING);
    await ctx.client.sandboxes.destroySandbox({ sandboxId: id, wait: true });
  });
});
