/** Header values gRPC metadata cannot carry (tabs, bytes above 0x7e): a status for the client, never a 500. */
import { describe, expect, it } from "vitest";
import type { Metadata } from "nice-grpc-common";
import { rawExchange, useGateway } from "./gateway-fixture.js";

/** The metadata the last request's hooks saw. */
let seen: Metadata | undefined;
const gw = useGateway({
  authorize: async (request) => {
    seen = request.metadata;
    return {};
  },
  handlers: [{ prefix: "/echo", handle: async (_req, res) => void res.writeHead(204).end() }],
});

/** A create with one extra header line, sent as raw bytes (latin1) so no client library cleans it. */
const create = (header: string) => {
  const body = JSON.stringify({ templateId: "base" });
  return rawExchange(
    gw.base,
    `POST /v1/sandboxes HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n${header}\r\n\r\n${body}`,
  );
};

describe("header values metadata cannot carry", () => {
  it("answers a key holding a tab with 401 and WWW-Authenticate", async () => {
    for (const header of ["X-API-Key: wrn_a\tb", "Authorization: Bearer wrn_a\tb"]) {
      const answer = await create(header);
      expect(answer).toMatch(/^HTTP\/1\.1 401 /);
      expect(answer.toLowerCase()).toContain("www-authenticate: bearer");
    }
  });

  it("answers another forwarded header holding one with 400 naming the header", async () => {
    const answer = await create("X-Wrenn-Team: a\u00e9b");
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain("header x-wrenn-team holds characters other than printable ASCII");
  });

  it("drops only the cookie it cannot carry and passes the others on", async () => {
    const answer = await rawExchange(gw.base, "GET /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nCookie: other=caf\u00e9; wrenn_session=abc\r\n\r\n");
    expect(answer).toMatch(/^HTTP\/1\.1 204 /);
    expect(seen?.getAll("cookie")).toEqual([" wrenn_session=abc"]);
  });
});
