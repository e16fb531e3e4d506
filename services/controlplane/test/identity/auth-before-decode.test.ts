import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, credentials, Metadata, type ServiceError } from "@grpc/grpc-js";
import { Status } from "nice-grpc";
import type { ControlPlaneExtension } from "../../src/extensions.js";
import { startFakeHostAgent, type FakeHostAgent } from "../support/fake-host-agent.js";
import { startTestControlPlane, type TestControlPlane } from "../support/test-controlplane.js";
import { testDatabaseUrl, warnIfNoDatabase } from "../support/test-database.js";

warnIfNoDatabase("authentication before request decoding tests");

const createSandbox = "/wrenn.api.v1.SandboxService/CreateSandbox";
// Field 1 (a string) announced with 5 bytes that never come: no protobuf decoder accepts it.
const undecodable = Buffer.from([0x0a, 0x05]);
// Well-formed (wrn_ and 43 base64url characters) but no key of anyone's.
const unknownKey = `wrn_${"A".repeat(43)}`;
const malformedJson = "{not json";
const wrongType = JSON.stringify({ templateId: 42 });

/** A hook with a bug, for calls that ask for it: still answered by the error middleware. */
const buggyHook: ControlPlaneExtension = {
  name: "buggy-hook",
  setup: () => ({
    requestHooks: [
      (request) => {
        if (request.metadata.get("x-test-hook-bug") === "yes") throw new Error("a bug in a hook");
      },
    ],
  }),
};

/**
 * The credential is checked before the request is looked at: a caller
 * without a good one learns it is not authenticated, never what was wrong
 * with the bytes or the JSON it sent. Only a good caller is told that.
 */
describe.skipIf(!testDatabaseUrl)("authentication comes before request decoding", () => {
  let host: FakeHostAgent;
  let cp: TestControlPlane;
  let raw: Client;
  let httpUrl: string;

  beforeAll(async () => {
    host = await startFakeHostAgent();
    cp = await startTestControlPlane({ hostAgentUrl: host.address, httpListen: { host: "127.0.0.1", port: 0 } }, [buggyHook]);
    raw = new Client(cp.running.grpcAddress, credentials.createInsecure());
    httpUrl = `http://${cp.running.httpAddress}`;
  });
  afterAll(async () => {
    raw?.close();
    await cp?.close();
    await host?.close();
  });

  function callRaw(bytes: Buffer, headers: Record<string, string>): Promise<ServiceError | undefined> {
    const metadata = new Metadata();
    for (const [name, value] of Object.entries(headers)) metadata.set(name, value);
    const pass = (b: Buffer) => b;
    return new Promise((resolve) => raw.makeUnaryRequest(createSandbox, pass, pass, bytes, metadata, (err) => resolve(err ?? undefined)));
  }

  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${httpUrl}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });

  async function expect401(res: Response): Promise<void> {
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="wrenn"');
    expect(await res.json()).toMatchObject({ code: "UNAUTHENTICATED" });
  }

  it("gRPC: undecodable bytes are UNAUTHENTICATED without a key or with a wrong one, INVALID_ARGUMENT with a good key", async () => {
    expect((await callRaw(undecodable, {}))?.code).toBe(Status.UNAUTHENTICATED);
    expect((await callRaw(undecodable, { authorization: `Bearer ${unknownKey}` }))?.code).toBe(Status.UNAUTHENTICATED);
    const err = await callRaw(undecodable, { authorization: `Bearer ${cp.apiKey}` });
    expect(err?.code).toBe(Status.INVALID_ARGUMENT);
    expect(err?.details).toMatch(/not a valid protobuf message/);
  });

  it("gRPC: a hook's bug on undecodable bytes is INTERNAL with a reference, as on any call", async () => {
    const err = await callRaw(undecodable, { authorization: `Bearer ${cp.apiKey}`, "x-test-hook-bug": "yes" });
    expect(err?.code).toBe(Status.INTERNAL);
    expect(err?.details).toMatch(/^internal error \(ref [0-9a-f]+\)$/);
  });

  it("HTTP: malformed JSON and a wrong-typed field are 401 with WWW-Authenticate without a key or with a wrong one", async () => {
    for (const body of [malformedJson, wrongType]) {
      await expect401(await post("/v1/sandboxes", body));
      await expect401(await post("/v1/sandboxes", body, { authorization: `Bearer ${unknownKey}` }));
      await expect401(await post("/v1/sandboxes", body, { "x-api-key": unknownKey }));
      await expect401(await post("/v1/sandboxes", body, { cookie: "wrenn_session=wrs_nothing" }));
    }
  });

  it("HTTP: the same bodies are 400 for a good key", async () => {
    for (const body of [malformedJson, wrongType]) {
      const res = await post("/v1/sandboxes", body, { authorization: `Bearer ${cp.apiKey}` });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ code: "INVALID_ARGUMENT" });
    }
  });

  it("HTTP: Signup needs no credential, so its malformed body is 400 without one", async () => {
    const res = await post("/v1/signup", malformedJson);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: "INVALID_ARGUMENT" });
  });

  it("HTTP: a request without a credential is refused before its body is read (a body that never comes)", async () => {
    const url = new URL(httpUrl);
    const answer = await new Promise<{ status?: number; challenge?: string }>((resolve, reject) => {
      const req = httpRequest({ host: url.hostname, port: Number(url.port), method: "POST", path: "/v1/sandboxes", headers: { "content-type": "application/json", "content-length": "100" } });
      req.on("response", (res) => {
        res.resume();
        resolve({ status: res.statusCode, challenge: res.headers["www-authenticate"] });
        req.destroy();
      });
      req.on("error", reject);
      // Headers only: the 100 announced bytes are never sent.
      req.flushHeaders();
    });
    expect(answer).toEqual({ status: 401, challenge: 'Bearer realm="wrenn"' });
  });
});
