import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeHostAgent, type FakeHostAgent } from "../support/fake-host-agent.js";
import { testDatabaseUrl, warnIfNoDatabase } from "../support/test-database.js";
import { startIdentityStack, type IdentityStack } from "../identity/identity-stack.js";

warnIfNoDatabase("browser session tests");

/** A response's cookies by name: the value and the attribute list as sent. */
function cookiesOf(res: Response): Map<string, { value: string; attributes: string[] }> {
  const cookies = new Map<string, { value: string; attributes: string[] }>();
  for (const line of res.headers.getSetCookie()) {
    const [pair, ...attributes] = line.split(";").map((part) => part.trim());
    const eq = pair.indexOf("=");
    cookies.set(pair.slice(0, eq), { value: pair.slice(eq + 1), attributes });
  }
  return cookies;
}

/**
 * What a browser does: sign up, log in over HTTP, call the API with the
 * cookie (and the CSRF header where it must), refresh, log out. Against a
 * real controlplane and PostgreSQL through the HTTP gateway.
 */
describe.skipIf(!testDatabaseUrl)("browser sessions over HTTP (PostgreSQL)", () => {
  let host: FakeHostAgent;
  let stack: IdentityStack;
  const email = `Ada-${randomBytes(4).toString("hex")}@Example.test`;
  const password = `pw-${randomBytes(8).toString("hex")}`;

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${stack.httpUrl}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

  async function login(headers: Record<string, string> = {}) {
    const res = await post("/auth/login", { email, password }, headers);
    expect(res.status).toBe(200);
    const cookies = cookiesOf(res);
    const body = (await res.json()) as { user: { email: string }; csrfToken: string };
    return { res, cookies, body, session: cookies.get("wrenn_session")!.value, refresh: cookies.get("wrenn_refresh")!.value };
  }

  const whoAmI = (session: string) => fetch(`${stack.httpUrl}/v1/whoami`, { headers: { cookie: `wrenn_session=${session}` } });

  beforeAll(async () => {
    host = await startFakeHostAgent();
    stack = await startIdentityStack({ databaseUrl: testDatabaseUrl!, hostAgentUrl: host.address });
    const res = await post("/v1/signup", { email, password, displayName: "Ada" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ user: { email: email.toLowerCase() }, team: { role: "TEAM_ROLE_OWNER", personal: true } });
  });
  afterAll(async () => {
    await stack?.close();
    await host?.close();
  });

  it("signup refuses a taken email (in any case) and a short password", async () => {
    const taken = await post("/v1/signup", { email: email.toUpperCase(), password });
    expect(taken.status).toBe(409);
    const short = await post("/v1/signup", { email: `x-${email}`, password: "short" });
    expect(short.status).toBe(400);
  });

  it("login sets HttpOnly, SameSite=Lax cookies, Secure only behind TLS, and the session works for the API", async () => {
    const { cookies, body, session } = await login();
    expect(body.user.email).toBe(email.toLowerCase());
    expect([...cookies.keys()].sort()).toEqual(["wrenn_csrf", "wrenn_refresh", "wrenn_session"]);
    for (const [name, cookie] of cookies) {
      expect(cookie.attributes).toContain("SameSite=Lax");
      expect(cookie.attributes).not.toContain("Secure");
      expect(cookie.attributes.includes("HttpOnly")).toBe(name !== "wrenn_csrf");
    }
    expect(cookies.get("wrenn_session")!.attributes).toEqual(expect.arrayContaining(["Path=/", "Max-Age=900"]));
    expect(cookies.get("wrenn_refresh")!.attributes).toContain("Path=/auth");
    // Seven days, counted by the database from the login (a second or two may have passed since).
    const refreshAge = Number(cookies.get("wrenn_refresh")!.attributes.find((a) => a.startsWith("Max-Age="))!.slice("Max-Age=".length));
    expect(refreshAge).toBeGreaterThan(7 * 86_400 - 60);
    expect(refreshAge).toBeLessThanOrEqual(7 * 86_400);
    expect(cookies.get("wrenn_csrf")!.value).toBe(body.csrfToken);

    const behindTls = await login({ "x-forwarded-proto": "https" });
    for (const cookie of behindTls.cookies.values()) expect(cookie.attributes).toContain("Secure");

    const res = await whoAmI(session);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ credential: "session", user: { email: email.toLowerCase() } });
    const current = await fetch(`${stack.httpUrl}/auth/session`, { headers: { cookie: `wrenn_session=${session}` } });
    expect(await current.json()).toMatchObject({ user: { email: email.toLowerCase() }, csrfToken: body.csrfToken });
  });

  it("a state-changing call by cookie needs x-csrf-token", async () => {
    const { session, body } = await login();
    const without = await post("/v1/teams", { name: "no csrf" }, { cookie: `wrenn_session=${session}` });
    expect(without.status).toBe(403);
    const wrong = await post("/v1/teams", { name: "wrong csrf" }, { cookie: `wrenn_session=${session}`, "x-csrf-token": "x".repeat(43) });
    expect(wrong.status).toBe(403);
    const withToken = await post("/v1/teams", { name: "with csrf" }, { cookie: `wrenn_session=${session}`, "x-csrf-token": body.csrfToken });
    expect(withToken.status).toBe(200);
    expect(await withToken.json()).toMatchObject({ team: { name: "with csrf", role: "TEAM_ROLE_OWNER" } });
  });

  it("refresh rotates both tokens; the old ones stop working, and replaying the old refresh token revokes the session", async () => {
    const first = await login();
    const res = await fetch(`${stack.httpUrl}/auth/refresh`, { method: "POST", headers: { cookie: `wrenn_refresh=${first.refresh}` } });
    expect(res.status).toBe(200);
    const rotated = cookiesOf(res);
    const session = rotated.get("wrenn_session")!.value;
    const refresh = rotated.get("wrenn_refresh")!.value;
    expect(session).not.toBe(first.session);
    expect(refresh).not.toBe(first.refresh);
    expect(rotated.get("wrenn_csrf")!.value).toBe(((await res.json()) as { csrfToken: string }).csrfToken);
    expect((await whoAmI(first.session)).status).toBe(401);
    expect((await whoAmI(session)).status).toBe(200);

    const replay = await fetch(`${stack.httpUrl}/auth/refresh`, { method: "POST", headers: { cookie: `wrenn_refresh=${first.refresh}` } });
    expect(replay.status).toBe(401);
    // The whole session is gone: the new token and the new refresh token too.
    expect((await whoAmI(session)).status).toBe(401);
    const again = await fetch(`${stack.httpUrl}/auth/refresh`, { method: "POST", headers: { cookie: `wrenn_refresh=${refresh}` } });
    expect(again.status).toBe(401);
    expect(stack.logs.join("")).toContain("refresh token reused");
  });

  it("logout needs the CSRF header, revokes the session and clears the cookies", async () => {
    const { session, refresh, body } = await login();
    const cookie = `wrenn_session=${session}; wrenn_refresh=${refresh}`;
    expect((await fetch(`${stack.httpUrl}/auth/logout`, { method: "POST", headers: { cookie } })).status).toBe(403);
    expect((await whoAmI(session)).status).toBe(200);
    const res = await fetch(`${stack.httpUrl}/auth/logout`, { method: "POST", headers: { cookie, "x-csrf-token": body.csrfToken } });
    expect(res.status).toBe(204);
    for (const cleared of cookiesOf(res).values()) {
      expect(cleared.value).toBe("");
      expect(cleared.attributes).toContain("Max-Age=0");
    }
    expect((await whoAmI(session)).status).toBe(401);
    const refreshAfter = await fetch(`${stack.httpUrl}/auth/refresh`, { method: "POST", headers: { cookie: `wrenn_refresh=${refresh}` } });
    expect(refreshAfter.status).toBe(401);
  });

  it("a wrong password and an unknown email get the same 401; the log has the failure, not the password", async () => {
    const wrongPassword = `wrong-${randomBytes(8).toString("hex")}`;
    const wrong = await post("/auth/login", { email, password: wrongPassword });
    const unknown = await post("/auth/login", { email: `nobody-${email}`, password: wrongPassword });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.headers.getSetCookie()).toEqual([]);
    const [a, b] = [await wrong.json(), await unknown.json()];
    expect(a).toEqual(b);
    expect(a).toMatchObject({ code: "UNAUTHENTICATED", message: "invalid email or password" });
    const logs = stack.logs.join("");
    expect(logs).toContain("login failed");
    expect(logs).not.toContain(wrongPassword);
    expect(logs).not.toContain(password);
  });

  it("answers other methods with 405, a form post with 415, and needs a session for /auth/session", async () => {
    const get = await fetch(`${stack.httpUrl}/auth/login`);
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    const form = await fetch(`${stack.httpUrl}/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `email=${encodeURIComponent(email)}&password=${encodeURIComponent(password)}`,
    });
    expect(form.status).toBe(415);
    expect((await fetch(`${stack.httpUrl}/auth/session`)).status).toBe(401);
  });
});
