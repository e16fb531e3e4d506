import { createServer } from "node:net";
import { createServer as createHttpServer } from "node:http";
import { describe, expect, it } from "vitest";
import { fromWireId } from "@wrenn/shared";
import { keyA, rawRequest, useProxy } from "./proxy-fixture.js";

// The proxy's HTTP handling against a stand-in tunnel and app server: both
// address forms, redirects kept under the path prefix, what the app sees,
// closed ports, a server that comes up late, paused sandboxes, reuse and eviction.
const proxy = useProxy();
const withKey = { "x-api-key": keyA };

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("port proxy, HTTP", () => {
  it("serves the path form with the prefix stripped and trailing slashes kept", async () => {
    const sb = proxy.addSandbox();
    const res = await fetch(`${proxy.base}/proxy/${sb}/${proxy.appPort}/a/b/?q=1`, { headers: withKey });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("path /a/b/?q=1");
  });

  it("redirects /proxy/{sandbox}/{port} to the same with a slash", async () => {
    const sb = proxy.addSandbox();
    const res = await fetch(`${proxy.base}/proxy/${sb}/${proxy.appPort}?x=2`, { headers: withKey, redirect: "manual" });
    expect(res.status).toBe(308);
    expect(res.headers.get("location")).toBe(`/proxy/${sb}/${proxy.appPort}/?x=2`);
  });

  it("keeps a root-relative and an own-origin absolute redirect under the prefix", async () => {
    const sb = proxy.addSandbox();
    const prefix = `/proxy/${sb}/${proxy.appPort}`;
    const dir = await fetch(`${proxy.base}${prefix}/dir`, { headers: withKey, redirect: "manual" });
    expect(dir.status).toBe(301);
    expect(dir.headers.get("location")).toBe(`${prefix}/dir/`);
    const absolute = await fetch(`${proxy.base}${prefix}/absolute`, { headers: withKey, redirect: "manual" });
    expect(absolute.headers.get("location")).toBe(`${proxy.base}${prefix}/elsewhere?x=1`);
  });

  it("serves the host form, with or without a port in Host, leaving Location alone", async () => {
    const sb = proxy.addSandbox();
    for (const host of [`${proxy.appPort}-${sb}.localhost:${proxy.gatewayPort}`, `${proxy.appPort}-${sb}.localhost`]) {
      const res = await rawRequest(proxy.gatewayPort, { host, path: "/x/?y=1", headers: withKey });
      expect(res).toMatchObject({ status: 200, body: "path /x/?y=1" });
    }
    const dir = await rawRequest(proxy.gatewayPort, { host: `${proxy.appPort}-${sb}.localhost`, path: "/dir", headers: withKey });
    expect(dir.headers.location).toBe("/dir/");
  });

  it("gives the app no Wrenn credential, but its own headers, cookies and forwarding headers", async () => {
    const sb = proxy.addSandbox();
    const res = await fetch(`${proxy.base}/proxy/${sb}/${proxy.appPort}/headers`, {
      headers: { authorization: `Bearer ${keyA}`, cookie: "app=1; wrenn_session=s; wrenn_csrf=c; other=2", "x-wrenn-team": "t", "x-app": "kept" },
    });
    const { headers } = (await res.json()) as { headers: Record<string, string> };
    expect(headers).not.toHaveProperty("authorization");
    expect(headers).not.toHaveProperty("x-wrenn-team");
    expect(headers.cookie).toBe("app=1; other=2");
    expect(headers["x-app"]).toBe("kept");
    expect(headers["x-forwarded-proto"]).toBe("http");
    expect(headers["x-forwarded-for"]).toBe("127.0.0.1");
    expect(headers["x-forwarded-prefix"]).toBe(`/proxy/${sb}/${proxy.appPort}`);

    const basic = await fetch(`${proxy.base}/proxy/${sb}/${proxy.appPort}/headers`, { headers: { ...withKey, authorization: "Basic YTpi" } });
    const seen = ((await basic.json()) as { headers: Record<string, string> }).headers;
    expect(seen.authorization).toBe("Basic YTpi");
    expect(seen).not.toHaveProperty("x-api-key");
  });

  it("answers a closed port with a 502 naming the sandbox and the port", async () => {
    const sb = proxy.addSandbox();
    const port = await freePort();
    const res = await fetch(`${proxy.base}/proxy/${sb}/${port}/`, { headers: withKey });
    expect(res.status).toBe(502);
    expect(((await res.json()) as { message: string }).message).toBe(`sandbox ${sb}: nothing is listening on port ${port}`);
  });

  it("waits for a server started after the first request", async () => {
    const sb = proxy.addSandbox();
    const port = await freePort();
    const late = createHttpServer((_req, res) => res.end("late but here"));
    const answer = fetch(`${proxy.base}/proxy/${sb}/${port}/`, { headers: withKey });
    // The proxy has been refused at least once before the server listens.
    await expect.poll(() => proxy.tunnel.connects.filter((c) => c === `${sb}:${port}`).length).toBeGreaterThan(0);
    await new Promise<void>((resolve) => late.listen(port, "127.0.0.1", resolve));
    const res = await answer;
    expect(await res.text()).toBe("late but here");
    await new Promise((resolve) => late.close(resolve));
  });

  it("answers 409 for a paused sandbox without autoResume, and resumes one with it", async () => {
    const plain = proxy.addSandbox({ status: "paused" });
    const refused = await fetch(`${proxy.base}/proxy/${plain}/${proxy.appPort}/`, { headers: withKey });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { code: string }).code).toBe("FAILED_PRECONDITION");

    const resuming = proxy.addSandbox({ status: "paused", autoResume: true });
    const res = await fetch(`${proxy.base}/proxy/${resuming}/${proxy.appPort}/hello`, { headers: withKey });
    expect(await res.text()).toBe("path /hello");
    expect(proxy.resumed).toContain(fromWireId("sb", resuming));
  });

  it("reuses one tunnel for consecutive requests to a sandbox port and drops it when the sandbox is found stopped", async () => {
    const sb = proxy.addSandbox();
    const target = `${sb}:${proxy.appPort}`;
    for (let i = 0; i < 3; i++) await (await fetch(`${proxy.base}/proxy/${sb}/${proxy.appPort}/${i}`, { headers: withKey })).text();
    expect(proxy.tunnel.connects.filter((c) => c === target)).toHaveLength(1);
    const openBefore = proxy.tunnel.open.size;
    proxy.records.get(fromWireId("sb", sb))!.status = "stopped";
    const stopped = await fetch(`${proxy.base}/proxy/${sb}/${proxy.appPort}/`, { headers: withKey });
    expect(stopped.status).toBe(409);
    await expect.poll(() => proxy.tunnel.open.size).toBe(openBefore - 1);
  });

  it("drops a destroyed sandbox's idle tunnels on its sweep, with no request to it", async () => {
    const sb = proxy.addSandbox();
    await (await fetch(`${proxy.base}/proxy/${sb}/${proxy.appPort}/`, { headers: withKey })).text();
    const openBefore = proxy.tunnel.open.size;
    proxy.records.delete(fromWireId("sb", sb));
    await expect.poll(() => proxy.tunnel.open.size, { timeout: 10_000 }).toBe(openBefore - 1);
  });

  it("answers 404 when the host no longer knows the sandbox", async () => {
    const sb = proxy.addSandbox();
    proxy.tunnel.sandboxes.delete(sb);
    const res = await fetch(`${proxy.base}/proxy/${sb}/${proxy.appPort}/`, { headers: withKey });
    expect(res.status).toBe(404);
  });

  it("answers malformed addresses with 400, and counts the bytes it carried", async () => {
    expect((await fetch(`${proxy.base}/proxy/sb-nothex/80/`)).status).toBe(400);
    expect((await fetch(`${proxy.base}/proxy/sb-${"0".repeat(32)}/99999/`)).status).toBe(400);
    const sb = proxy.addSandbox();
    await (await fetch(`${proxy.base}/proxy/${sb}/${proxy.appPort}/count`, { method: "POST", headers: withKey, body: "x".repeat(1000) })).text();
    const text = await proxy.metrics.registry.metrics();
    expect(Number(/wrenn_proxy_bytes_total\{direction="in"\} (\d+)/.exec(text)?.[1])).toBeGreaterThanOrEqual(1000);
    expect(Number(/wrenn_proxy_bytes_total\{direction="out"\} (\d+)/.exec(text)?.[1])).toBeGreaterThan(0);
  });
});
