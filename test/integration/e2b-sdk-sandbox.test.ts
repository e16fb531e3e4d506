import { describe, expect, it } from "vitest";
import { AuthenticationError, NotFoundError, Sandbox } from "e2b";
import { useE2bStack } from "../harness/e2b-stack.js";
import { signUpTeamWithKey } from "../harness/signed-up-team.js";

/**
 * The official `e2b` SDK's sandbox calls against Wrenn's E2B face, configured
 * only through E2B_API_URL, E2B_SANDBOX_URL and E2B_API_KEY.
 */
const e2b = useE2bStack();
const unknownId = `sb${"0".repeat(31)}1`;

describe("e2b SDK: sandbox lifecycle", () => {
  it("creates a sandbox with metadata, envs and a timeout, and getInfo shows them", async () => {
    const before = Date.now();
    const sandbox = await Sandbox.create({ metadata: { suite: "e2b-create", who: "ä b&c" }, envs: { GREETING: "hi" }, timeoutMs: 120_000 });
    try {
      expect(sandbox.sandboxId).toMatch(/^sb[0-9a-f]{32}$/);
      // Ports are reached as <port>-<id>.<domain>, the domain with the port the API answered on.
      expect(sandbox.sandboxDomain).toBe(`localhost:${new URL(e2b.stack.httpUrl).port}`);
      expect(sandbox.getHost(8080)).toBe(`8080-${sandbox.sandboxId}.localhost:${new URL(e2b.stack.httpUrl).port}`);
      const info = await sandbox.getInfo();
      expect(info.sandboxId).toBe(sandbox.sandboxId);
      expect(info.state).toBe("running");
      expect(info.metadata).toEqual({ suite: "e2b-create", who: "ä b&c" });
      expect(info.templateId).toBeTruthy();
      expect(info.startedAt.getTime()).toBeGreaterThanOrEqual(before - 5_000);
      expect(info.startedAt.getTime()).toBeLessThanOrEqual(Date.now());
      // endAt is the create's timeout from the start.
      expect(Math.abs(info.endAt.getTime() - info.startedAt.getTime() - 120_000)).toBeLessThan(10_000);
      expect(info.cpuCount).toBeGreaterThan(0);
      expect(info.memoryMB).toBeGreaterThan(0);
      // The same sandbox through the native API, by its wire id.
      const native = await fetch(`${e2b.stack.httpUrl}/v1/sandboxes/sb-${sandbox.sandboxId.slice(2)}`, { headers: { authorization: `Bearer ${e2b.stack.apiKey}` } });
      const body = (await native.json()) as { sandbox: { metadata: Record<string, string> } };
      expect(body.sandbox.metadata.suite).toBe("e2b-create");
      // The create's envVars are the environment of the sandbox's processes.
      const run = await sandbox.commands.run("echo \"$GREETING\"");
      expect(run.stdout.trim()).toBe("hi");
    } finally {
      await sandbox.kill();
    }
  });

  it("lists by metadata, a page of one at a time across several sandboxes", async () => {
    const tag = `list-${Date.now()}`;
    const made = await Promise.all([0, 1, 2].map((i) => Sandbox.create({ metadata: { tag, i: String(i) } })));
    try {
      await Sandbox.create({ metadata: { tag: "other" } }).then((s) => made.push(s));
      const paginator = Sandbox.list({ query: { metadata: { tag } }, limit: 1 });
      const seen: string[] = [];
      let pages = 0;
      while (paginator.hasNext && pages < 10) {
        const items = await paginator.nextItems();
        pages++;
        expect(items.length).toBeLessThanOrEqual(1);
        for (const item of items) {
          expect(item.metadata.tag).toBe(tag);
          expect(item.state).toBe("running");
          seen.push(item.sandboxId);
        }
      }
      expect(pages).toBe(3);
      expect(seen.sort()).toEqual(made.slice(0, 3).map((s) => s.sandboxId).sort());

      const paused = Sandbox.list({ query: { metadata: { tag }, state: ["paused"] } });
      expect(await paused.nextItems()).toEqual([]);
    } finally {
      await Promise.all(made.map((s) => s.kill()));
    }
  });

  it("kill answers true, then false for the same and for an unknown sandbox; getInfo then is NotFoundError", async () => {
    const sandbox = await Sandbox.create();
    expect(await Sandbox.kill(sandbox.sandboxId)).toBe(true);
    expect(await Sandbox.kill(sandbox.sandboxId)).toBe(false);
    expect(await Sandbox.kill(unknownId)).toBe(false);
    await expect(Sandbox.getInfo(sandbox.sandboxId)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("ports are public through getHost unless allowPublicTraffic is false (then e2b-traffic-access-token opens them); isRunning is false once killed", async () => {
    const open = await Sandbox.create();
    const closed = await Sandbox.create({ network: { allowPublicTraffic: false } });
    try {
      const serve = "mkdir -p /tmp/site && echo served > /tmp/site/index.html && cd /tmp/site && exec python3 -m http.server 8000";
      await Promise.all([open, closed].map((sandbox) => sandbox.commands.run(serve, { background: true })));
      const page = (sandbox: Sandbox) => `http://${sandbox.getHost(8000)}/index.html`;
      // The proxy waits (about 10 s) for a server that is still starting.
      expect(await (await fetch(page(open))).text()).toBe("served\n");
      expect((await fetch(page(closed))).status).toBe(401);
      const withToken = await fetch(page(closed), { headers: { "e2b-traffic-access-token": closed.trafficAccessToken ?? "" } });
      expect(await withToken.text()).toBe("served\n");
      expect(await open.isRunning()).toBe(true);
    } finally {
      await Promise.all([open.kill(), closed.kill()]);
    }
    expect(await open.isRunning()).toBe(false);
  });

  it("pauses, then connect resumes it running; a second pause of a paused one is false", async () => {
    const sandbox = await Sandbox.create({ metadata: { suite: "e2b-pause" } });
    try {
      expect(await sandbox.pause()).toBe(true);
      expect((await Sandbox.getInfo(sandbox.sandboxId)).state).toBe("paused");
      expect(await Sandbox.pause(sandbox.sandboxId)).toBe(false);
      const connected = await Sandbox.connect(sandbox.sandboxId, { timeoutMs: 60_000 });
      expect(connected.sandboxId).toBe(sandbox.sandboxId);
      const info = await connected.getInfo();
      expect(info.state).toBe("running");
      expect(info.metadata).toEqual({ suite: "e2b-pause" });
      // Connecting to a running one is fine too.
      expect((await Sandbox.connect(sandbox.sandboxId)).sandboxId).toBe(sandbox.sandboxId);
    } finally {
      await sandbox.kill();
    }
  });

  it("setTimeout counts from now: a sandbox given 2 s is killed soon after", async () => {
    const sandbox = await Sandbox.create({ timeoutMs: 120_000 });
    try {
      await sandbox.setTimeout(2_000);
      await expect.poll(() => Sandbox.getInfo(sandbox.sandboxId).then(() => "alive", (err: unknown) => (err instanceof NotFoundError ? "gone" : String(err))), { timeout: 30_000, interval: 500 }).toBe("gone");
    } finally {
      await sandbox.kill().catch(() => undefined);
    }
  });

  it("onTimeout pause (autoPause) pauses at the create's timeout, and connect brings it back", async () => {
    const sandbox = await Sandbox.create({ timeoutMs: 2_000, lifecycle: { onTimeout: "pause" } });
    try {
      await expect.poll(async () => (await Sandbox.getInfo(sandbox.sandboxId)).state, { timeout: 30_000, interval: 500 }).toBe("paused");
      await Sandbox.connect(sandbox.sandboxId, { timeoutMs: 60_000 });
      expect((await Sandbox.getInfo(sandbox.sandboxId)).state).toBe("running");
    } finally {
      await sandbox.kill();
    }
  });

  it("setTimeout moves endAt to the new time from now, and getMetrics reports the sandbox's size", async () => {
    const sandbox = await Sandbox.create({ timeoutMs: 60_000 });
    try {
      await sandbox.setTimeout(600_000);
      const { endAt } = await sandbox.getInfo();
      expect(Math.abs(endAt.getTime() - (Date.now() + 600_000))).toBeLessThan(10_000);
      const metrics = await sandbox.getMetrics();
      expect(metrics).toHaveLength(1);
      expect(metrics[0]!.cpuCount).toBeGreaterThan(0);
      expect(metrics[0]!.memTotal).toBeGreaterThan(0);
      expect(metrics[0]!.timestamp.getTime()).toBeGreaterThan(Date.now() - 60_000);
    } finally {
      await sandbox.kill();
    }
  });

  it("errors are the SDK's typed errors: NotFoundError for an unknown id, AuthenticationError for a bad key", async () => {
    await expect(Sandbox.getInfo(unknownId)).rejects.toBeInstanceOf(NotFoundError);
    await expect(Sandbox.connect(unknownId)).rejects.toBeInstanceOf(NotFoundError);
    await expect(Sandbox.getInfo("not-an-id")).rejects.toBeInstanceOf(NotFoundError);
    await expect(Sandbox.create({ apiKey: `e2b_${"0".repeat(40)}` })).rejects.toBeInstanceOf(AuthenticationError);
    await expect(Sandbox.list({ apiKey: `e2b_${"0".repeat(40)}` }).nextItems()).rejects.toBeInstanceOf(AuthenticationError);
  });
});

describe("e2b faces: another team", () => {
  it("sees none of a team's sandboxes: not found, not listed, not killed, and its sandbox's token opens nothing of theirs", async () => {
    const mine = await Sandbox.create({ metadata: { suite: "e2b-tenancy" } });
    const theirKey = (await signUpTeamWithKey(e2b.stack.httpUrl, "e2b-other")).apiKey;
    const theirs = await Sandbox.create({ apiKey: theirKey });
    try {
      await expect(Sandbox.getInfo(mine.sandboxId, { apiKey: theirKey })).rejects.toBeInstanceOf(NotFoundError);
      await expect(Sandbox.connect(mine.sandboxId, { apiKey: theirKey })).rejects.toBeInstanceOf(NotFoundError);
      expect(await Sandbox.kill(mine.sandboxId, { apiKey: theirKey })).toBe(false);
      const listed = await Sandbox.list({ apiKey: theirKey, query: { metadata: { suite: "e2b-tenancy" } } }).nextItems();
      expect(listed).toEqual([]);
      // Their sandbox's envd token, aimed at mine through the envd face: refused like an unknown sandbox.
      const token = (theirs as unknown as { envdAccessToken: string }).envdAccessToken;
      expect(token).toMatch(/^wra_/);
      const res = await fetch(`${e2b.stack.httpUrl}/filesystem.Filesystem/Stat`, {
        method: "POST",
        headers: { "content-type": "application/json", "connect-protocol-version": "1", "x-access-token": token, "e2b-sandbox-id": mine.sandboxId },
        body: JSON.stringify({ path: "/" }),
      });
      expect(res.status).toBe(404);
      expect(((await res.json()) as { code: string }).code).toBe("not_found");
      expect(await mine.isRunning()).toBe(true);
    } finally {
      await Promise.all([mine.kill(), theirs.kill()]);
    }
  });
});

describe("e2b REST face: plain HTTP", () => {
  const call = (path: string, init: RequestInit = {}, key = e2b.apiKey) =>
    fetch(`${e2b.stack.httpUrl}${path}`, { ...init, headers: { "x-api-key": key, "content-type": "application/json", ...(init.headers ?? {}) } });

  it("answers refusals as {code, message} with the HTTP status as code", async () => {
    const cases: [string, RequestInit, number][] = [
      ["/v2/sandboxes", { method: "POST", body: "{not json" }, 400],
      ["/v2/sandboxes", { method: "POST", body: "[1]" }, 400],
      ["/v2/sandboxes", { method: "POST", body: JSON.stringify({ timeout: -1 }) }, 400],
      ["/v2/sandboxes", { method: "POST", body: JSON.stringify({ metadata: { a: 1 } }) }, 400],
      ["/v2/sandboxes", { method: "POST", body: JSON.stringify({ templateID: "no-such-template" }) }, 404],
      [`/sandboxes/${unknownId}`, {}, 404],
      [`/sandboxes/${unknownId}/timeout`, { method: "POST", body: JSON.stringify({ timeout: 10 }) }, 404],
      [`/sandboxes/${unknownId}/timeout`, { method: "POST", body: "{}" }, 400],
      ["/v2/sandboxes?limit=0", {}, 400],
      ["/v2/sandboxes?state=gone", {}, 400],
      ["/v2/sandboxes?nextToken=bogus", {}, 400],
    ];
    for (const [path, init, status] of cases) {
      const response = await call(path, init);
      const body = (await response.json()) as { code: unknown; message: unknown };
      expect({ path, status: response.status }).toEqual({ path, status });
      expect(body.code).toBe(status);
      expect(typeof body.message).toBe("string");
    }
  });

  it("a bad key is 401 {code: 401} before the body is read", async () => {
    const response = await call("/v2/sandboxes", { method: "POST", body: "{not json" }, `e2b_${"1".repeat(40)}`);
    expect(response.status).toBe(401);
    expect(((await response.json()) as { code: number }).code).toBe(401);
  });

  it("lists every route in /openapi.json under the E2B tag", async () => {
    const spec = (await (await fetch(`${e2b.stack.httpUrl}/openapi.json`)).json()) as { paths: Record<string, Record<string, { tags?: string[] }>> };
    const tagged = Object.entries(spec.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => op.tags?.includes("E2B compatibility"))
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(tagged).toEqual(
      expect.arrayContaining([
        "POST /v2/sandboxes",
        "POST /sandboxes",
        "GET /v2/sandboxes",
        "GET /sandboxes",
        "GET /sandboxes/{sandboxID}",
        "DELETE /sandboxes/{sandboxID}",
        "POST /sandboxes/{sandboxID}/timeout",
        "POST /sandboxes/{sandboxID}/pause",
        "POST /v2/sandboxes/{sandboxID}/connect",
        "POST /sandboxes/{sandboxID}/connect",
        "POST /sandboxes/{sandboxID}/resume",
        "GET /sandboxes/{sandboxID}/metrics",
      ]),
    );
  });
});
