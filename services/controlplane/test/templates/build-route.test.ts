import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash, randomUUID } from "node:crypto";
import { testDatabaseUrl, warnIfNoDatabase } from "../support/test-database.js";
import { startFakeHostAgent, type FakeHostAgent } from "../support/fake-host-agent.js";
import { startTestControlPlane, type TestControlPlane } from "../support/test-controlplane.js";
import { apiKeyHeaders } from "../support/test-team.js";

warnIfNoDatabase("build upload route tests");

describe.skipIf(!testDatabaseUrl)("POST /v1/builds: multipart or JSON, authenticated first (PostgreSQL, fake host agent)", () => {
  let host: FakeHostAgent;
  let cp: TestControlPlane;
  let base: string;
  const name = () => `http-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    host = await startFakeHostAgent();
    cp = await startTestControlPlane({ hostAgentUrl: host.address, httpListen: { host: "127.0.0.1", port: 0 } });
    base = `http://${cp.running.httpAddress}`;
  });
  afterAll(async () => {
    await cp?.close();
    await host?.close();
  });

  const post = (body: FormData | string, headers: Record<string, string> = apiKeyHeaders(cp.apiKey)) => fetch(`${base}/v1/builds`, { method: "POST", headers, body });
  const form = (fields: Record<string, string>, archive?: Buffer) => {
    const data = new FormData();
    for (const [key, value] of Object.entries(fields)) data.append(key, value);
    if (archive) data.append("archive", new Blob([archive]), "files.tar.gz");
    return data;
  };

  it("refuses a caller without a key with 401 before reading the body", async () => {
    const res = await post(form({ name: name(), recipe: "RUN true" }), {});
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer realm="wrenn"/);
  });

  it("answers 400 FAILED_PRECONDITION when no host can build, and 400 naming the line for a bad recipe", async () => {
    const refused = await post(form({ name: name(), recipe: "RUN true" }));
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ code: "FAILED_PRECONDITION", message: expect.stringMatching(/^no host can build templates/) });
    const bad = await post(form({ name: name(), recipe: "RUN true\nNOPE x" }));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(/^line 2: /);
  });

  it.each([
    ["an unknown field", { name: "x", recipe: "RUN true", colour: "red" }, /^unknown field "colour"/],
    ["a number that is not one", { name: "x", recipe: "RUN true", vcpus: "two" }, /^field vcpus must be a non-negative integer$/],
    ["platform that is not a boolean", { name: "x", recipe: "RUN true", platform: "yes" }, /^field platform must be true or false$/],
  ])("refuses a form with %s (400)", async (_what, fields, message) => {
    const res = await post(form(fields));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(message);
  });

  it("refuses a body that is neither multipart nor JSON (415), malformed JSON (400) and unknown JSON fields (400)", async () => {
    expect((await post("RUN true", { ...apiKeyHeaders(cp.apiKey), "content-type": "text/plain" })).status).toBe(415);
    expect((await post("{", { ...apiKeyHeaders(cp.apiKey), "content-type": "application/json" })).status).toBe(400);
    const unknown = await post(JSON.stringify({ name: "x", recipe: "RUN true", colour: 1 }), { ...apiKeyHeaders(cp.apiKey), "content-type": "application/json" });
    expect(unknown.status).toBe(400);
  });

  it("answers 400 for multipart parts without a name or named like object properties (the fuzz stage once got a 500)", async () => {
    const boundary = "b0undary";
    const part = (disposition: string, value: string) => `--${boundary}\r\nContent-Disposition: ${disposition}\r\n\r\n${value}\r\n`;
    const headers = { ...apiKeyHeaders(cp.apiKey), "content-type": `multipart/form-data; boundary=${boundary}` };
    for (const body of [
      part('form-data; name=""', "{}") + part('form-data; name="recipe"', "RUN true") + `--${boundary}--\r\n`,
      part("form-data", "x") + `--${boundary}--\r\n`,
      part('form-data; name=""; filename="a.tar"', "x") + `--${boundary}--\r\n`,
      part('form-data; name="constructor"', "x") + `--${boundary}--\r\n`,
    ]) {
      const res = await post(body, headers);
      expect(res.status, body).toBe(400);
      expect(((await res.json()) as { code: string }).code).toBe("INVALID_ARGUMENT");
    }
  });

  describe("on a host that can build", () => {
    beforeAll(() => {
      host.runtime = "qemu";
    });
    afterAll(() => {
      host.runtime = "fake";
    });

    it("takes the fields and streams the archive part to the host; the answer is the queued build", async () => {
      const archive = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
      const template = name();
      const res = await post(form({ name: `${template}:v2`, recipe: "RUN true\nRUN echo two", disk_mib: "3072", step_timeout_seconds: "60" }, archive));
      expect(res.status).toBe(200);
      const { build } = (await res.json()) as { build: Record<string, unknown> };
      expect(build).toMatchObject({
        name: `${template}:v2`,
        status: "BUILD_STATUS_RUNNING",
        stepsTotal: 2,
        archiveBytes: String(archive.length),
        archiveSha256: createHash("sha256").update(archive).digest("hex"),
        resources: { vcpus: 2, memoryMib: 1024, diskMib: 3072 },
      });
      expect(host.builds.get(build.buildId as string)?.archiveBytes).toBe(archive.length);
      // Its events over the gateway are NDJSON, ending with the ended event.
      const events = await fetch(`${base}/v1/builds/${build.buildId as string}/events`, { headers: apiKeyHeaders(cp.apiKey) });
      expect(events.status).toBe(200);
      const lines = (await events.text()).trim().split("\n").map((line) => JSON.parse(line) as { event: Record<string, unknown> });
      expect(lines.at(-1)?.event.ended).toMatchObject({ status: "BUILD_STATUS_SUCCEEDED" });
    });

    it("takes a JSON BuildSpec (no archive)", async () => {
      const res = await post(JSON.stringify({ name: name(), recipe: "RUN true", memoryMib: 2048 }), { ...apiKeyHeaders(cp.apiKey), "content-type": "application/json" });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { build: Record<string, unknown> }).build).toMatchObject({ archiveBytes: "0", archiveSha256: "", resources: { vcpus: 2, memoryMib: 2048, diskMib: 2048 } });
    });

    it("refuses fields after the archive part and a second file part (400)", async () => {
      const data = new FormData();
      data.append("name", name());
      data.append("archive", new Blob([Buffer.from("x")]), "a.tar");
      data.append("recipe", "RUN true");
      const res = await post(data);
      expect(res.status).toBe(400);
    });
  });

  it("lists the route in /openapi.json with its multipart body", async () => {
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, Record<string, { requestBody?: { content: Record<string, unknown> } }>> };
    expect(Object.keys(doc.paths["/v1/builds"] ?? {}).sort()).toEqual(["get", "post"]);
    expect(Object.keys(doc.paths["/v1/builds"]!.post!.requestBody!.content).sort()).toEqual(["application/json", "multipart/form-data"]);
  });
});
