import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OidcLoginConfig } from "../../src/config.js";
import { startTestControlPlane, type TestControlPlane } from "../support/test-controlplane.js";
import { testDatabaseUrl, warnIfNoDatabase } from "../support/test-database.js";
import { CookieJar, signInAtProvider, startTestOidcProvider, type TestOidcProvider } from "./oidc-test-provider.js";

warnIfNoDatabase("OIDC login across controlplane copies");

/** Where the browser reaches the deployment (a load balancer's name); the copies listen elsewhere. */
const publicUrl = "http://wrenn.test";

/**
 * Two controlplane copies behind one public URL (WRENN_PUBLIC_URL), sharing
 * PostgreSQL: a login started on one is finished on the other, as a load
 * balancer may send the callback anywhere, and is still single use there.
 */
describe.skipIf(!testDatabaseUrl)("OIDC login across two controlplane copies", () => {
  const email = `two-${randomBytes(4).toString("hex")}@example.test`;
  let provider: TestOidcProvider;
  let a: TestControlPlane;
  let b: TestControlPlane;

  beforeAll(async () => {
    provider = await startTestOidcProvider({ grace: { email, email_verified: true } });
    const oidc: OidcLoginConfig = { issuer: provider.issuer, clientId: provider.clientId, clientSecret: provider.clientSecret, scopes: "openid email" };
    const config = { hostAgentUrl: "127.0.0.1:1", httpListen: { host: "127.0.0.1", port: 0 }, publicUrl, oidc };
    a = await startTestControlPlane(config);
    b = await startTestControlPlane(config);
    provider.serve(`${publicUrl}/auth/oidc/oidc/callback`);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await provider?.close();
  });

  /** The request the balancer forwards: the public URL's path and query, to one copy. */
  const at = (cp: TestControlPlane, url: URL) => `http://${cp.running.httpAddress}${url.pathname}${url.search}`;

  /** A browser still holding the start cookie (the callback clears it; a replay would bring it back). */
  function holding(state: string): CookieJar {
    const jar = new CookieJar();
    jar.cookies.set("wrenn_oidc", state);
    return jar;
  }

  it("finishes on copy B a login started on copy A, once", async () => {
    const jar = new CookieJar();
    const start = await jar.fetch(`http://${a.running.httpAddress}/auth/oidc/oidc/start?return_to=/home`);
    expect(start.status).toBe(302);
    const authorize = new URL(start.headers.get("location")!);
    expect(authorize.searchParams.get("redirect_uri")).toBe(`${publicUrl}/auth/oidc/oidc/callback`);

    const callback = await signInAtProvider(authorize.href, "grace");
    expect(callback.origin).toBe(publicUrl);
    const finished = await jar.fetch(at(b, callback));
    expect(finished.status).toBe(302);
    expect(finished.headers.get("location")).toBe("/home");
    const me = await jar.fetch(`http://${a.running.httpAddress}/v1/whoami`);
    expect(await me.json()).toMatchObject({ credential: "session", user: { email } });

    const again = await holding(callback.searchParams.get("state")!).fetch(at(a, callback));
    expect(again.status).toBe(400);
  });
});
