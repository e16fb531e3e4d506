import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "slonik";
import { createOidcLoginRepository } from "../../src/db/identity/oidc-repository.js";
import { createUserRepository } from "../../src/db/identity/user-repository.js";
import { startTestControlPlane, type TestControlPlane } from "../support/test-controlplane.js";
import { testDatabaseUrl, warnIfNoDatabase } from "../support/test-database.js";
import { CookieJar, signInAtProvider, startTestOidcProvider, type TestOidcProvider } from "./oidc-test-provider.js";

warnIfNoDatabase("OIDC login tests");

const tag = randomBytes(4).toString("hex");
const accounts = {
  ada: { email: `ada-${tag}@example.test`, email_verified: true, name: "Ada" },
  bob: { email: `bob-${tag}@example.test`, email_verified: true },
  eve: { email: `eve-${tag}@example.test`, email_verified: false },
};

/**
 * OIDC login end to end: a real OpenID provider (oidc-provider) on loopback,
 * a real controlplane with its HTTP gateway, and this test as the browser,
 * with a cookie jar per site and no redirect followed blindly.
 */
describe.skipIf(!testDatabaseUrl)("OIDC login against oidc-provider", () => {
  let provider: TestOidcProvider;
  let cp: TestControlPlane;
  let base: string;

  beforeAll(async () => {
    provider = await startTestOidcProvider(accounts);
    cp = await startTestControlPlane({
      hostAgentUrl: "127.0.0.1:1",
      httpListen: { host: "127.0.0.1", port: 0 },
      oidc: { issuer: provider.issuer, clientId: provider.clientId, clientSecret: provider.clientSecret, scopes: "openid email profile" },
    });
    base = `http://${cp.running.httpAddress}`;
    provider.serve(`${base}/auth/oidc/oidc/callback`);
  });
  afterAll(async () => {
    await cp?.close();
    await provider?.close();
  });

  /** Our /start in this browser (its cookies for our site in `jar`), answered with a redirect to the provider. */
  async function start(jar: CookieJar, returnTo = "/dashboard?tab=keys"): Promise<URL> {
    const res = await jar.fetch(`${base}/auth/oidc/oidc/start?return_to=${encodeURIComponent(returnTo)}`);
    expect(res.status).toBe(302);
    return new URL(res.headers.get("location")!);
  }

  /** Start in a new browser, sign in at the provider, and return the callback URL the provider sent it to. */
  async function toCallback(account: keyof typeof accounts, returnTo?: string): Promise<{ callback: URL; jar: CookieJar }> {
    const jar = new CookieJar();
    const callback = await signInAtProvider((await start(jar, returnTo)).href, account);
    expect(callback.origin + callback.pathname).toBe(`${base}/auth/oidc/oidc/callback`);
    return { callback, jar };
  }

  /** Another browser that somehow holds the start cookie for `state` (copied along with a leaked URL). */
  function holding(state: string): CookieJar {
    const jar = new CookieJar();
    jar.cookies.set("wrenn_oidc", state);
    return jar;
  }

  const hashOf = (state: string) => createHash("sha256").update(state).digest();

  async function whoAmI(jar: CookieJar): Promise<{ status: number; body: { user?: { userId: string; email: string }; credential?: string } }> {
    const res = await jar.fetch(`${base}/v1/whoami`);
    return { status: res.status, body: (await res.json()) as { user?: { userId: string; email: string }; credential?: string } };
  }

  it("signs in with PKCE (S256), state and nonce, and hands the session over in cookies only", async () => {
    const jar = new CookieJar();
    const authorize = await start(jar);
    expect(authorize.origin).toBe(provider.issuer);
    const params = authorize.searchParams;
    expect(params.get("code_challenge_method")).toBe("S256");
    expect(params.get("nonce")).toMatch(/^[\w-]{20,}$/);
    // The verifier stays server side, under the state's hash; the challenge sent is its S256.
    const row = await cp.running.context.pool.one(
      sql.unsafe`SELECT code_verifier, nonce FROM oidc_logins WHERE state_hash = ${sql.binary(hashOf(params.get("state")!))}`,
    );
    expect(params.get("code_challenge")).toBe(createHash("sha256").update(String(row.code_verifier)).digest("base64url"));
    expect(params.get("nonce")).toBe(row.nonce);

    const callback = await signInAtProvider(authorize.href, "ada");
    expect(callback.searchParams.get("code")).toBeTruthy();
    const res = await jar.fetch(callback.href);
    expect(res.status).toBe(302);
    const location = res.headers.get("location")!;
    expect(location).toBe("/dashboard?tab=keys");
    const session = res.headers.getSetCookie().find((line) => line.startsWith("wrenn_session="))!;
    expect(session).toMatch(/; HttpOnly/);
    expect(session).toMatch(/; SameSite=Lax/);
    expect(location).not.toContain(jar.cookies.get("wrenn_session")!);

    const me = await whoAmI(jar);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ credential: "session", user: { email: accounts.ada.email } });
    // Neither the code nor the session token was logged.
    const logs = cp.logs.join("");
    expect(logs).toContain("OIDC login");
    expect(logs).not.toContain(callback.searchParams.get("code")!);
    expect(logs).not.toContain(jar.cookies.get("wrenn_session")!);
  });

  it("refuses a callback in a browser that did not start the login (login CSRF)", async () => {
    const { callback, jar } = await toCallback("ada");
    const elsewhere = await new CookieJar().fetch(callback.href);
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.headers.getSetCookie().some((line) => line.startsWith("wrenn_session="))).toBe(false);
    // Not spent by the refusal: the browser that started it still finishes.
    expect((await jar.fetch(callback.href)).status).toBe(302);
  });

  it("refuses a replayed callback: the state is single use", async () => {
    const { callback, jar } = await toCallback("ada");
    const state = callback.searchParams.get("state")!;
    const first = await jar.fetch(callback.href);
    expect(first.status).toBe(302);
    expect(first.headers.getSetCookie()).toContainEqual(expect.stringMatching(/^wrenn_oidc=; .*Max-Age=0/));
    // Refused by us before the code reaches the provider (which would refuse a used code too).
    expect(await cp.running.context.pool.exists(sql.unsafe`SELECT 1 FROM oidc_logins WHERE state_hash = ${sql.binary(hashOf(state))}`)).toBe(false);
    const replay = await holding(state).fetch(callback.href);
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ message: expect.stringMatching(/already used/) });
    expect(replay.headers.getSetCookie().some((line) => line.startsWith("wrenn_session="))).toBe(false);
  });

  it("refuses a tampered state, and the login's real state still works after it", async () => {
    const { callback, jar } = await toCallback("ada");
    const tampered = new URL(callback);
    tampered.searchParams.set("state", callback.searchParams.get("state")! + "x");
    // Even with a start cookie that matches it: no such login was started.
    const refused = await holding(tampered.searchParams.get("state")!).fetch(tampered.href);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ code: "INVALID_ARGUMENT" });
    expect((await jar.fetch(callback.href)).status).toBe(302);
  });

  it("refuses a login finished after its 10 minutes", async () => {
    const { callback, jar } = await toCallback("ada");
    const stateHash = hashOf(callback.searchParams.get("state")!);
    const lifetime = await cp.running.context.pool.oneFirst(sql.unsafe`
      SELECT extract(epoch FROM expires_at - created_at) FROM oidc_logins WHERE state_hash = ${sql.binary(stateHash)}`);
    expect(Math.round(Number(lifetime) / 60)).toBe(10);
    // Time passes (in the database, the clock every controlplane copy shares).
    await cp.running.context.pool.query(sql.unsafe`
      UPDATE oidc_logins SET expires_at = now() - interval '1 second' WHERE state_hash = ${sql.binary(stateHash)}`);
    const late = await jar.fetch(callback.href);
    expect(late.status).toBe(400);
    expect(await late.json()).toMatchObject({ message: expect.stringMatching(/expired/) });

    // One nobody came back from is deleted by the sweeper's statement.
    const abandoned = hashOf((await start(new CookieJar())).searchParams.get("state")!);
    const pool = cp.running.context.pool;
    await pool.query(sql.unsafe`UPDATE oidc_logins SET expires_at = now() - interval '1 second' WHERE state_hash = ${sql.binary(abandoned)}`);
    expect(await createOidcLoginRepository(pool).deleteExpired()).toBeGreaterThanOrEqual(1);
    expect(await pool.exists(sql.unsafe`SELECT 1 FROM oidc_logins WHERE state_hash = ${sql.binary(abandoned)}`)).toBe(false);
  });

  it("never follows a return_to that leaves the site", async () => {
    for (const returnTo of ["https://evil.example", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"]) {
      const res = await fetch(`${base}/auth/oidc/oidc/start?return_to=${encodeURIComponent(returnTo)}`, { redirect: "manual" });
      expect(res.status, returnTo).toBe(400);
      expect(res.headers.get("location"), returnTo).toBeNull();
    }
  });

  it("signs the same subject in as the same user, and links a verified email to the existing account", async () => {
    const existing = await createUserRepository(cp.running.context.pool).createWithPersonalTeam({ email: accounts.bob.email, passwordHash: null });
    const ids: string[] = [];
    for (let round = 0; round < 2; round++) {
      const { callback, jar } = await toCallback("bob");
      expect((await jar.fetch(callback.href)).status).toBe(302);
      ids.push((await whoAmI(jar)).body.user!.userId);
    }
    expect(ids[1]).toBe(ids[0]);
    const users = await cp.running.context.pool.any(sql.unsafe`SELECT id FROM users WHERE lower(email) = ${accounts.bob.email}`);
    expect(users.map((user) => user.id)).toEqual([existing!.user.id]);
  });

  it("refuses an email the provider has not verified, and a deactivated user", async () => {
    const eve = await toCallback("eve");
    const unverified = await eve.jar.fetch(eve.callback.href);
    expect(unverified.status).toBe(401);
    expect(unverified.headers.getSetCookie().some((line) => line.startsWith("wrenn_session="))).toBe(false);

    await cp.running.context.pool.query(sql.unsafe`UPDATE users SET deactivated_at = now() WHERE lower(email) = ${accounts.ada.email}`);
    const ada = await toCallback("ada");
    const deactivated = await ada.jar.fetch(ada.callback.href);
    expect(deactivated.status).toBe(401);
    expect(deactivated.headers.getSetCookie().some((line) => line.startsWith("wrenn_session="))).toBe(false);
  });

  it("records successes and refusals in the audit log", async () => {
    const rows = await cp.running.context.pool.any(
      sql.unsafe`SELECT result, details->>'reason' AS reason FROM audit_logs WHERE action = 'auth.oidc_login' AND ip <> ''`,
    );
    const reasons = rows.filter((row) => row.result === "failure").map((row) => String(row.reason));
    expect(rows.some((row) => row.result === "success")).toBe(true);
    expect(reasons).toEqual(expect.arrayContaining(["bad_state", "email_unverified", "user_inactive"]));
  });
});
