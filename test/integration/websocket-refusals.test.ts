import { connect } from "node:net";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useStackWithSandbox } from "../harness/stack-with-sandbox.js";
import { keyThroughSession } from "../harness/signed-up-team.js";
import { BridgeSession, bridgeUrl } from "./websocket-session.js";

// Who may open a bridge, answered before any 101: another team's sandbox is
// the same 404 as an unknown one, no key is 401, `?token=` counts on the
// bridge routes only, a session cookie needs a page of our origin, and an
// Upgrade header on an ordinary route opens nothing.
const ctx = useStackWithSandbox();
/** Team B: a signed-up user's personal team, its key, and a sandbox of its own. */
let otherKey = "";
let otherSandbox = "";
let login: { email: string; password: string };

beforeAll(async () => {
  login = { email: `ws-other-${randomBytes(4).toString("hex")}@example.test`, password: randomBytes(12).toString("base64url") };
  const signup = await fetch(`${ctx.stack.httpUrl}/v1/signup`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ...login, displayName: "ws" }) });
  expect(signup.status).toBe(200);
  otherKey = (await keyThroughSession(ctx.stack.httpUrl, login.email, login.password, "ws-other")).apiKey;
  const created = await fetch(`${ctx.stack.httpUrl}/v1/sandboxes`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${otherKey}` },
    body: JSON.stringify({ templateId: "base", waitReady: true }),
  });
  expect(created.status).toBe(200);
  otherSandbox = ((await created.json()) as { sandbox: { sandboxId: string } }).sandbox.sandboxId;
});

afterAll(async () => {
  if (otherSandbox) await fetch(`${ctx.stack.httpUrl}/v1/sandboxes/${otherSandbox}?wait=true`, { method: "DELETE", headers: { authorization: `Bearer ${otherKey}` } });
});

const pty = (sandboxId: string, query: Record<string, string>) => bridgeUrl(ctx.stack.httpUrl, `/v1/sandboxes/${sandboxId}/pty`, query);
const stream = (sandboxId: string, query: Record<string, string>) => bridgeUrl(ctx.stack.httpUrl, `/v1/sandboxes/${sandboxId}/processes/1/stream`, query);
const refusal = (url: string, headers: Record<string, string> = {}) =>
  BridgeSession.open(url, headers).then(
    () => ({ status: 101, body: "" }),
    (err: { status?: number; body?: string }) => ({ status: err.status ?? 0, body: err.body ?? "" }),
  );

/** An unknown sandbox id of the same shape as the real one. */
const unknownId = () => ctx.sandboxId.replace(/[0-9a-f]{32}$/, randomBytes(16).toString("hex"));

describe("WebSocket bridge refusals", () => {
  it("another team's sandbox is 404 with an unknown sandbox's message, on both routes", async () => {
    for (const route of [pty, stream]) {
      const theirs = await refusal(route(ctx.sandboxId, { token: otherKey }));
      const missingId = unknownId();
      const missing = await refusal(route(missingId, { token: otherKey }));
      expect(theirs.status).toBe(404);
      expect(missing.status).toBe(404);
      expect(theirs.body.replace(ctx.sandboxId, "ID")).toBe(missing.body.replace(missingId, "ID"));
    }
  });

  it("no key is 401; a wrong key is 401; a key header works like ?token=", async () => {
    expect((await refusal(pty(ctx.sandboxId, {}))).status).toBe(401);
    expect((await refusal(pty(ctx.sandboxId, { token: "wrn_not-a-real-key" }))).status).toBe(401);
    const session = await BridgeSession.open(pty(ctx.sandboxId, { cmd: "echo by-header" }), { authorization: `Bearer ${ctx.stack.apiKey}` });
    expect((await session.closed).code).toBe(1000);
    expect(session.text()).toMatch(/by-header/);
  });

  it("a plain GET of a bridge route is 426 with a key and 401 without", async () => {
    const url = `${ctx.stack.httpUrl}/v1/sandboxes/${ctx.sandboxId}/pty`;
    const withKey = await fetch(url, { headers: { authorization: `Bearer ${ctx.stack.apiKey}` } });
    expect(withKey.status).toBe(426);
    expect(withKey.headers.get("upgrade")).toBe("websocket");
    expect((await fetch(url)).status).toBe(401);
  });

  it("?token= is not a credential on any other route", async () => {
    const res = await fetch(`${ctx.stack.httpUrl}/v1/sandboxes?token=${encodeURIComponent(ctx.stack.apiKey)}`);
    expect(res.status).toBe(401);
    expect(await res.text()).not.toContain(ctx.sandboxId);
  });

  it("an Upgrade header on /v1/sandboxes gets no 101 and no data", async () => {
    const answer = await rawUpgrade("/v1/sandboxes", `authorization: Bearer ${ctx.stack.apiKey}`);
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).not.toContain(ctx.sandboxId);
    expect(answer).not.toMatch(/101 Switching/i);
  });

  it("a session cookie opens a bridge from our own origin only (CSRF token from its cookie)", async () => {
    const res = await fetch(`${ctx.stack.httpUrl}/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(login) });
    expect(res.status).toBe(200);
    const cookie = res.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
    // StartProcess is not a GET: it passes only with the CSRF token the bridge took from the wrenn_csrf cookie.
    const session = await BridgeSession.open(pty(otherSandbox, { cmd: "echo by-cookie" }), { cookie, origin: ctx.stack.httpUrl });
    expect((await session.closed).code).toBe(1000);
    expect(session.text()).toMatch(/by-cookie/);
    // The session's team is not the stack's: the same 404 as for a key.
    expect((await refusal(pty(ctx.sandboxId, {}), { cookie, origin: ctx.stack.httpUrl })).status).toBe(404);
    expect((await refusal(pty(otherSandbox, {}), { cookie, origin: "http://evil.example" })).status).toBe(403);
    expect((await refusal(pty(otherSandbox, {}), { cookie })).status).toBe(403);
  });
});

/** Sends a hand-made upgrade request and returns everything the server wrote before closing. */
function rawUpgrade(path: string, header: string): Promise<string> {
  const { hostname, port } = new URL(ctx.stack.httpUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let answer = "";
    socket.on("data", (chunk) => (answer += chunk.toString()));
    socket.on("error", reject);
    socket.on("close", () => resolve(answer));
    socket.write(
      [`GET ${path} HTTP/1.1`, `host: ${hostname}:${port}`, "connection: Upgrade", "upgrade: websocket", "sec-websocket-version: 13", `sec-websocket-key: ${randomBytes(16).toString("base64")}`, header, "", ""].join("\r\n"),
    );
  });
}
