import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { useStackWithSandbox } from "../harness/stack-with-sandbox.js";
import { startEchoServer, startHttpServer, writeSite } from "./proxy-sandbox-servers.js";

// The port proxy on a real stack (namespace runtime): python's http.server
// and a WebSocket echo server inside the sandbox, bound to loopback, reached
// through the path form and the host form (*.localhost, as curl resolves it).
const ctx = useStackWithSandbox();
const run = promisify(execFile);
const site = "/tmp/proxy-site";
const web = 8000;
const echo = 8002;
const key = () => ({ "x-api-key": ctx.stack.apiKey });
const gatewayPort = () => new URL(ctx.stack.httpUrl).port;

beforeAll(async () => {
  await writeSite(ctx.client, ctx.sandboxId, site);
  await startHttpServer(ctx.client, ctx.sandboxId, web, site);
  await startEchoServer(ctx.client, ctx.sandboxId, echo);
});

/** Resolves *.localhost to loopback, as browsers and curl do (the system resolver does not). */
const localhostLookup = (_host: string, options: { all?: boolean }, done: (...args: unknown[]) => void) =>
  options.all ? done(null, [{ address: "127.0.0.1", family: 4 }]) : done(null, "127.0.0.1", 4);

function openSocket(url: string, headers: Record<string, string>): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers, lookup: localhostLookup as never });
    ws.once("open", () => resolve(ws));
    ws.once("unexpected-response", (_req, res) => reject(new Error(`status ${res.statusCode}`)));
    ws.once("error", reject);
  });
}

async function echoes(ws: WebSocket, text: string): Promise<string> {
  const reply = new Promise<string>((resolve) => ws.once("message", (data: Buffer) => resolve(data.toString())));
  ws.send(text);
  return reply;
}

describe("port proxy with real servers in a sandbox", () => {
  it("serves python's http.server through the path form: page, listing with its slash, and the redirect of a directory kept under the prefix", async () => {
    const prefix = `${ctx.stack.httpUrl}/proxy/${ctx.sandboxId}/${web}`;
    const home = await fetch(`${prefix}/`, { headers: key() });
    expect(home.status).toBe(200);
    expect(await home.text()).toBe("home page");

    const bare = await fetch(`${prefix}/sub`, { headers: key(), redirect: "manual" });
    expect(bare.status).toBe(301);
    expect(bare.headers.get("location")).toBe(`/proxy/${ctx.sandboxId}/${web}/sub/`);

    // Followed, the listing is served at the slash, with no further redirect, and its link works.
    const listing = await fetch(`${prefix}/sub`, { headers: key() });
    expect(listing.url).toBe(`${prefix}/sub/`);
    expect(listing.redirected).toBe(true);
    const html = await listing.text();
    expect(html).toContain('href="a.txt"');
    const file = await fetch(new URL("a.txt", listing.url), { headers: key() });
    expect(await file.text()).toBe("file a");
  });

  it("serves the host form to curl, which resolves *.localhost to loopback", async () => {
    const url = `http://${web}-${ctx.sandboxId}.localhost:${gatewayPort()}/sub/a.txt`;
    const { stdout } = await run("curl", ["-sS", "-H", `X-API-Key: ${ctx.stack.apiKey}`, "-w", "\n%{http_code}", url]);
    expect(stdout).toBe("file a\n200");
    const { stdout: redirect } = await run("curl", ["-sS", "-o", "/dev/null", "-H", `X-API-Key: ${ctx.stack.apiKey}`, "-w", "%{http_code} %{redirect_url}", `http://${web}-${ctx.sandboxId}.localhost:${gatewayPort()}/sub`]);
    expect(redirect).toBe(`301 http://${web}-${ctx.sandboxId}.localhost:${gatewayPort()}/sub/`);
  });

  it("answers a request sent before its server started, once the server is up", async () => {
    const late = 8003;
    const answer = fetch(`${ctx.stack.httpUrl}/proxy/${ctx.sandboxId}/${late}/`, { headers: key() });
    await startHttpServer(ctx.client, ctx.sandboxId, late, site);
    const res = await answer;
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("home page");
  });

  it("answers a port nothing listens on with a 502 naming the sandbox and the port", async () => {
    const res = await fetch(`${ctx.stack.httpUrl}/proxy/${ctx.sandboxId}/8009/`, { headers: key() });
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({ code: "UNAVAILABLE", message: `sandbox ${ctx.sandboxId}: nothing is listening on port 8009` });
  });

  it("carries a WebSocket through both forms to the echo server", async () => {
    const byPath = await openSocket(`ws://127.0.0.1:${gatewayPort()}/proxy/${ctx.sandboxId}/${echo}/chat`, key());
    expect(await echoes(byPath, "over the path form")).toBe("/chat over the path form");
    byPath.close();
    const byHost = await openSocket(`ws://${echo}-${ctx.sandboxId}.localhost:${gatewayPort()}/room`, key());
    expect(await echoes(byHost, "over the host form")).toBe("/room over the host form");
    byHost.close();
  });
});
