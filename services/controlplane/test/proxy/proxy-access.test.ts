import { describe, expect, it } from "vitest";
import { fromWireId } from "@wrenn/shared";
import { keyA, keyB, rawRequest, sessionA, teamB, useProxy } from "./proxy-fixture.js";

// Who may reach a sandbox's ports: the owning team's key or session, the
// sandbox's traffic token (header, cookie, or once in the query), or anyone
// for public ports. Another team's sandbox answers what an unknown one does.
const proxy = useProxy();
const unknown = `sb-${"0".repeat(32)}`;

async function answer(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers, redirect: "manual" });
  return { status: res.status, body: await res.text(), location: res.headers.get("location"), setCookie: res.headers.get("set-cookie") };
}

describe("port proxy access", () => {
  it("lets the owner in by X-API-Key, Bearer key or session cookie", async () => {
    const sb = proxy.addSandbox();
    const url = `${proxy.base}/proxy/${sb}/${proxy.appPort}/`;
    for (const headers of <Record<string, string>[]>[{ "x-api-key": keyA }, { authorization: `Bearer ${keyA}` }, { cookie: `wrenn_session=${sessionA}` }]) {
      expect((await answer(url, headers)).status).toBe(200);
    }
  });

  it("answers another team's sandbox exactly as an unknown one, by both forms", async () => {
    const sb = proxy.addSandbox();
    const theirs = await answer(`${proxy.base}/proxy/${sb}/${proxy.appPort}/`, { "x-api-key": keyB });
    const none = await answer(`${proxy.base}/proxy/${unknown}/${proxy.appPort}/`, { "x-api-key": keyB });
    expect(theirs.status).toBe(404);
    expect(theirs.body.replace(sb, "ID")).toBe(none.body.replace(unknown, "ID"));
    const byHost = await rawRequest(proxy.gatewayPort, { host: `${proxy.appPort}-${sb}.localhost`, path: "/", headers: { "x-api-key": keyB } });
    expect(byHost.status).toBe(404);
    // A sandbox that is team B's own is still B's to reach: the check is by team, not by key.
    const bs = proxy.addSandbox({ teamId: teamB });
    expect((await answer(`${proxy.base}/proxy/${bs}/${proxy.appPort}/`, { "x-api-key": keyB })).status).toBe(200);
    expect((await answer(`${proxy.base}/proxy/${bs}/${proxy.appPort}/`, { "x-api-key": keyA })).status).toBe(404);
  });

  it("refuses a request with no credential with 401, and a bad key with 401", async () => {
    const sb = proxy.addSandbox();
    expect((await answer(`${proxy.base}/proxy/${sb}/${proxy.appPort}/`)).status).toBe(401);
    expect((await answer(`${proxy.base}/proxy/${unknown}/${proxy.appPort}/`)).status).toBe(401);
    expect((await answer(`${proxy.base}/proxy/${sb}/${proxy.appPort}/`, { "x-api-key": "wrn_nonsense" })).status).toBe(401);
  });

  it("opens the ports to the traffic token in its header, and refuses a wrong one with 404", async () => {
    const sb = proxy.addSandbox();
    const token = proxy.records.get(fromWireId("sb", sb))!.trafficToken!;
    const url = `${proxy.base}/proxy/${sb}/${proxy.appPort}/`;
    expect((await answer(url, { "x-wrenn-traffic-token": token })).status).toBe(200);
    expect((await answer(url, { "x-wrenn-traffic-token": token + "x" })).status).toBe(404);
    // One sandbox's token opens no other.
    const other = proxy.addSandbox();
    expect((await answer(`${proxy.base}/proxy/${other}/${proxy.appPort}/`, { "x-wrenn-traffic-token": token })).status).toBe(404);
  });

  it("moves a query token into a cookie scoped to the sandbox, and drops it from the URL", async () => {
    const sb = proxy.addSandbox();
    const token = proxy.records.get(fromWireId("sb", sb))!.trafficToken!;
    const first = await answer(`${proxy.base}/proxy/${sb}/${proxy.appPort}/page?a=1&wrenn_traffic_token=${token}&b=2`);
    expect(first.status).toBe(307);
    expect(first.location).toBe(`/proxy/${sb}/${proxy.appPort}/page?a=1&b=2`);
    expect(first.setCookie).toBe(`wrenn_traffic_token=${token}; Path=/proxy/${sb}/; HttpOnly; SameSite=Lax`);
    const cookie = first.setCookie!.split(";")[0];
    const followed = await answer(`${proxy.base}${first.location}`, { cookie });
    expect(followed).toMatchObject({ status: 200, body: "path /page?a=1&b=2" });
    expect((await answer(`${proxy.base}/proxy/${sb}/${proxy.appPort}/?wrenn_traffic_token=wrong`)).status).toBe(404);

    const byHost = await rawRequest(proxy.gatewayPort, { host: `${proxy.appPort}-${sb}.localhost`, path: `/?wrenn_traffic_token=${token}` });
    expect(byHost.status).toBe(307);
    expect(byHost.headers.location).toBe("/");
    expect(byHost.headers["set-cookie"]).toEqual([`wrenn_traffic_token=${token}; Path=/; HttpOnly; SameSite=Lax`]);
  });

  it("lets anyone reach public ports, and never gives the app the token", async () => {
    const sb = proxy.addSandbox({ publicPorts: true });
    expect((await answer(`${proxy.base}/proxy/${sb}/${proxy.appPort}/open`)).body).toBe("path /open");
    const token = proxy.records.get(fromWireId("sb", sb))!.trafficToken!;
    const echoed = await answer(`${proxy.base}/proxy/${sb}/${proxy.appPort}/headers`, { cookie: `wrenn_traffic_token=${token}`, "x-wrenn-traffic-token": token });
    expect(echoed.body).not.toContain(token);
  });
});
