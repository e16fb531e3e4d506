import { createHash, randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestControlPlane, type TestControlPlane } from "../support/test-controlplane.js";
import { testDatabaseUrl, warnIfNoDatabase } from "../support/test-database.js";
import { CookieJar } from "./oidc-test-provider.js";

warnIfNoDatabase("GitHub login tests");

interface GithubUser {
  id: number;
  login: string;
  email: string | null;
  emails: { email: string; primary: boolean; verified: boolean }[];
}

/**
 * A stand-in for GitHub's three OAuth endpoints and its /user and
 * /user/emails API (GitHub itself is not reachable from tests). It is strict
 * where GitHub is: the token request must carry the client secret and the
 * PKCE verifier whose S256 was sent to /authorize.
 */
async function startFakeGithub(user: () => GithubUser): Promise<{ url: string; tokenRequests: URLSearchParams[]; close(): Promise<void> }> {
  const challenges = new Map<string, string>();
  const tokens = new Set<string>();
  const tokenRequests: URLSearchParams[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://github.test");
    const json = (status: number, body: unknown) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (url.pathname === "/login/oauth/authorize") {
      const code = randomBytes(8).toString("hex");
      challenges.set(code, url.searchParams.get("code_challenge_method") === "S256" ? url.searchParams.get("code_challenge")! : "");
      const back = new URL(url.searchParams.get("redirect_uri")!);
      back.search = new URLSearchParams({ code, state: url.searchParams.get("state")! }).toString();
      return res.writeHead(302, { location: back.href }).end();
    }
    if (url.pathname === "/login/oauth/access_token" && req.method === "POST") {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString()));
      req.on("end", () => {
        const form = new URLSearchParams(body);
        tokenRequests.push(form);
        const challenge = challenges.get(form.get("code") ?? "");
        challenges.delete(form.get("code") ?? "");
        const verified = challenge && createHash("sha256").update(form.get("code_verifier") ?? "").digest("base64url") === challenge;
        // GitHub answers a bad code with 200 and an error body.
        if (!verified || form.get("client_secret") !== "gh-secret") return json(200, { error: "bad_verification_code", error_description: "The code passed is incorrect or expired." });
        const token = `gho_${randomBytes(8).toString("hex")}`;
        tokens.add(token);
        json(200, { access_token: token, token_type: "bearer", scope: "read:user,user:email" });
      });
      return;
    }
    if (!tokens.has((req.headers.authorization ?? "").replace(/^Bearer /, ""))) return json(401, { message: "Bad credentials" });
    const { emails, ...profile } = user();
    if (url.pathname === "/api/user") return json(200, profile);
    if (url.pathname === "/api/user/emails") return json(200, emails);
    json(404, { message: "Not Found" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    tokenRequests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe.skipIf(!testDatabaseUrl)("GitHub-style OAuth login (PKCE, no id_token, email from the API)", () => {
  const tag = randomBytes(4).toString("hex");
  let account: GithubUser;
  let github: Awaited<ReturnType<typeof startFakeGithub>>;
  let cp: TestControlPlane;
  let base: string;

  beforeAll(async () => {
    github = await startFakeGithub(() => account);
    cp = await startTestControlPlane({
      hostAgentUrl: "127.0.0.1:1",
      httpListen: { host: "127.0.0.1", port: 0 },
      github: {
        clientId: "gh-client",
        clientSecret: "gh-secret",
        authorizeUrl: `${github.url}/login/oauth/authorize`,
        tokenUrl: `${github.url}/login/oauth/access_token`,
        apiUrl: `${github.url}/api`,
      },
    });
    base = `http://${cp.running.httpAddress}`;
  });
  afterAll(async () => {
    await cp?.close();
    await github?.close();
  });

  /** Start, let the stand-in authorize at once, and finish at our callback with a fresh browser. */
  async function login(): Promise<{ callback: Response; jar: CookieJar }> {
    const jar = new CookieJar();
    const start = await jar.fetch(`${base}/auth/oidc/github/start?return_to=/after`);
    expect(start.status).toBe(302);
    const authorize = await fetch(start.headers.get("location")!, { redirect: "manual" });
    return { callback: await jar.fetch(authorize.headers.get("location")!), jar };
  }

  it("signs in with the primary verified email from /user/emails, the verifier sent to the token endpoint", async () => {
    account = {
      id: 4242,
      login: `octo-${tag}`,
      email: null,
      emails: [
        { email: `old-${tag}@example.test`, primary: false, verified: false },
        { email: `octo-${tag}@example.test`, primary: true, verified: true },
      ],
    };
    const { callback, jar } = await login();
    expect(callback.status).toBe(302);
    expect(callback.headers.get("location")).toBe("/after");
    expect(github.tokenRequests.at(-1)?.get("code_verifier")).toMatch(/^[\w-]{43,128}$/);
    const me = await jar.fetch(`${base}/v1/whoami`);
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ credential: "session", user: { email: `octo-${tag}@example.test` } });
  });

  it("falls back to the profile's public email, and refuses a user with no usable email", async () => {
    account = { id: 4343, login: `pub-${tag}`, email: `pub-${tag}@example.test`, emails: [] };
    const withPublic = await login();
    expect(withPublic.callback.status).toBe(302);
    expect(await (await withPublic.jar.fetch(`${base}/v1/whoami`)).json()).toMatchObject({ user: { email: `pub-${tag}@example.test` } });

    account = { id: 4444, login: `none-${tag}`, email: null, emails: [{ email: `x-${tag}@example.test`, primary: true, verified: false }] };
    const without = await login();
    expect(without.callback.status).toBe(400);
    expect(without.callback.headers.getSetCookie().some((line) => line.startsWith("wrenn_session="))).toBe(false);
  });

  it("refuses a callback the provider answered with an error, without repeating the provider's text", async () => {
    const jar = new CookieJar();
    const start = await jar.fetch(`${base}/auth/oidc/github/start`);
    const state = new URL(start.headers.get("location")!).searchParams.get("state")!;
    const res = await jar.fetch(`${base}/auth/oidc/github/callback?state=${state}&error=access_denied&error_description=${encodeURIComponent("<script>pwned</script>")}`);
    expect(res.status).toBe(401);
    expect(await res.text()).not.toContain("pwned");
  });

  it("refuses a code the provider does not accept (GitHub's 200 with an error body) as a 400, not a server error", async () => {
    const jar = new CookieJar();
    const start = await jar.fetch(`${base}/auth/oidc/github/start`);
    const state = new URL(start.headers.get("location")!).searchParams.get("state")!;
    const res = await jar.fetch(`${base}/auth/oidc/github/callback?code=made-up&state=${state}`);
    expect(res.status).toBe(400);
    expect(await res.text()).not.toContain("incorrect");
  });

  it("answers NOT_FOUND for a provider that is not configured", async () => {
    const res = await fetch(`${base}/auth/oidc/oidc/start`, { redirect: "manual" });
    expect(res.status).toBe(404);
  });
});
