import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWrennClient, type WrennClient } from "@wrenn/client";
import { useStackWithSandbox } from "../harness/stack-with-sandbox.js";
import { keyThroughSession } from "../harness/signed-up-team.js";
import { startHttpServer, writeSite } from "./proxy-sandbox-servers.js";

// A signed-in browser user reaches their own team's sandbox through the
// proxy with the session cookie alone (the real authentication hook), and
// not another team's.
const ctx = useStackWithSandbox();
const site = "/tmp/proxy-site";
let cookie = "";
let client: WrennClient | undefined;
let ownSandbox = "";

beforeAll(async () => {
  const email = `proxy-session-${randomBytes(4).toString("hex")}@example.test`;
  const password = randomBytes(12).toString("base64url");
  const post = (path: string, body: unknown) => fetch(`${ctx.stack.httpUrl}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  expect((await post("/v1/signup", { email, password, displayName: "proxy session" })).status).toBe(200);
  const login = await post("/auth/login", { email, password });
  expect(login.status).toBe(200);
  cookie = login.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  const { apiKey } = await keyThroughSession(ctx.stack.httpUrl, email, password, "proxy-session");
  client = createWrennClient(ctx.stack.grpcAddress, { apiKey });
  const { sandbox } = await client.sandboxes.createSandbox({ templateId: "base", waitReady: true });
  ownSandbox = sandbox!.sandboxId;
  await writeSite(client, ownSandbox, site);
  await startHttpServer(client, ownSandbox, 8000, site);
});

afterAll(async () => {
  if (ownSandbox) await client?.sandboxes.destroySandbox({ sandboxId: ownSandbox, wait: true }).catch(() => undefined);
  client?.close();
});

describe("port proxy with a browser session", () => {
  it("serves the user's own sandbox to the session cookie alone, a POST included (the app's, not a Wrenn call)", async () => {
    const page = await fetch(`${ctx.stack.httpUrl}/proxy/${ownSandbox}/8000/`, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toBe("home page");
    // python's http.server has no POST: its own 501 shows the request reached it without a CSRF token.
    const posted = await fetch(`${ctx.stack.httpUrl}/proxy/${ownSandbox}/8000/`, { method: "POST", headers: { cookie }, body: "x" });
    expect(posted.status).toBe(501);
    expect(await posted.text()).toContain("Unsupported method");
  });

  it("gives the session another team's sandbox as a 404", async () => {
    const res = await fetch(`${ctx.stack.httpUrl}/proxy/${ctx.sandboxId}/8000/`, { headers: { cookie } });
    expect(res.status).toBe(404);
  });
});
