import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { Status } from "nice-grpc-common";
import { closeCodeFor, closeReason, parseClientControl } from "../../src/websocket/protocol.js";
import { bridgeCredential, sameOrigin } from "../../src/websocket/bridge-credential.js";

const request = (headers: Record<string, string>) => ({ headers, socket: { remoteAddress: "127.0.0.1" } }) as unknown as IncomingMessage;

describe("bridge protocol", () => {
  it("closes with 4000 + the gRPC status and a reason that fits a close frame", () => {
    expect(closeCodeFor(Status.NOT_FOUND)).toBe(4005);
    const long = "é".repeat(100);
    const reason = closeReason(long);
    expect(Buffer.byteLength(reason)).toBeLessThanOrEqual(123);
    expect(long.startsWith(reason)).toBe(true);
  });

  it("reads resize messages and nothing else", () => {
    expect(parseClientControl('{"type":"resize","cols":120,"rows":40}')).toEqual({ type: "resize", cols: 120, rows: 40 });
    for (const text of ["", "resize", '{"type":"resize","cols":0,"rows":40}', '{"type":"resize","cols":1.5,"rows":2}', '{"type":"other"}', "null", "[]"]) {
      expect(parseClientControl(text)).toBeUndefined();
    }
  });
});

describe("bridge credential", () => {
  it("takes ?token= as an API key and leaves the Origin alone", () => {
    const credential = bridgeCredential(request({ host: "cp:8080", cookie: "wrenn_session=s" }), new URLSearchParams("token=wrn_abc"), undefined);
    expect(credential.viaCookie).toBe(false);
    expect(credential.metadata.get("x-api-key")).toBe("wrn_abc");
  });

  it("needs our Origin for a cookie, then sends the wrenn_csrf cookie as x-csrf-token (never a client's header)", () => {
    const headers = { host: "cp:8080", cookie: "wrenn_session=s; wrenn_csrf=c1", "x-csrf-token": "forged" };
    expect(() => bridgeCredential(request(headers), new URLSearchParams(), undefined)).toThrow(/origin/);
    expect(() => bridgeCredential(request({ ...headers, origin: "http://evil.example" }), new URLSearchParams(), undefined)).toThrow(/origin/);
    const credential = bridgeCredential(request({ ...headers, origin: "http://cp:8080" }), new URLSearchParams(), undefined);
    expect(credential.viaCookie).toBe(true);
    expect(credential.metadata.get("x-csrf-token")).toBe("c1");
  });

  it("accepts the public URL's origin besides the Host", () => {
    expect(sameOrigin(request({ host: "10.0.0.5:8080", origin: "https://wrenn.example" }), "https://wrenn.example/")).toBe(true);
    expect(sameOrigin(request({ host: "10.0.0.5:8080", origin: "https://wrenn.example.evil" }), "https://wrenn.example/")).toBe(false);
    expect(sameOrigin(request({ host: "10.0.0.5:8080", origin: "null" }), undefined)).toBe(false);
  });
});
