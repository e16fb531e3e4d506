import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { rewriteLocation, sandboxCookie } from "../../src/proxy/forward-headers.js";
import { createAddressReader, type ProxyAddress } from "../../src/proxy/proxy-address.js";

// Reading both address forms, hostile Hosts and paths included, and which
// redirects the path form puts under its prefix.
const sb = `sb-${"ab".repeat(16)}`;
const reader = createAddressReader("localhost");

describe("proxy addresses", () => {
  it("claims the host form on its domain only, and the /proxy path on any host", () => {
    expect(reader.claims(`8000-${sb}.localhost:8080`, "/")).toBe(true);
    expect(reader.claims(`8000-${sb}.LOCALHOST`, "/")).toBe(true);
    expect(reader.claims(`8000-${sb}.localhost.evil.test`, "/")).toBe(false);
    expect(reader.claims("localhost:8080", "/v1/sandboxes")).toBe(false);
    expect(reader.claims("api.localhost", "/v1/sandboxes")).toBe(false);
    expect(reader.claims(undefined, "/proxy/x")).toBe(true);
    expect(reader.claims("localhost", "/proxyx")).toBe(false);
  });

  it("reads the target of each form", () => {
    expect(reader.read(`8000-${sb.toUpperCase().replace("SB-", "sb-")}.localhost:1`, "/a?b=1")).toEqual({
      kind: "address", address: { form: "host", wireId: sb, port: 8000, upstreamPath: "/a?b=1", prefix: "" },
    });
    expect(reader.read("localhost", `/proxy/${sb}/3000/x/y/?z`)).toEqual({
      kind: "address", address: { form: "path", wireId: sb, port: 3000, upstreamPath: "/x/y/?z", prefix: `/proxy/${sb}/3000` },
    });
  });

  it("reads the dashless E2B form of the id in both forms, answering the canonical sb-… id", () => {
    const dashless = sb.replace("-", "");
    expect(reader.claims(`8000-${dashless}.localhost:8080`, "/")).toBe(true);
    expect(reader.read(`8000-${dashless.toUpperCase()}.localhost:1`, "/a")).toEqual({
      kind: "address", address: { form: "host", wireId: sb, port: 8000, upstreamPath: "/a", prefix: "" },
    });
    expect(reader.read("localhost", `/proxy/${dashless}/3000/x`)).toEqual({
      kind: "address", address: { form: "path", wireId: sb, port: 3000, upstreamPath: "/x", prefix: `/proxy/${dashless}/3000` },
    });
    expect(reader.read("localhost", `/proxy/${dashless}/3000`)).toEqual({ kind: "add_slash", location: `/proxy/${dashless}/3000/` });
    for (const bad of [`8000-${dashless}0.localhost`, `8000-sb${"ab".repeat(15)}.localhost`, `8000-${dashless.replace("sb", "tp")}.localhost`]) {
      expect(reader.read(bad, "/").kind, bad).toBe("malformed");
    }
  });

  it("answers malformed addresses as such, never throwing", () => {
    for (const [host, url] of [
      ["localhost", "/proxy"], ["localhost", "/proxy/"], ["localhost", "/proxy/sb-1/80/"], ["localhost", `/proxy/${sb}/0/`],
      ["localhost", `/proxy/${sb}/65536/`], ["localhost", `/proxy/${sb}/8a/`], [`99999-${sb}.localhost`, "/"], [`80-nope.localhost`, "/"],
      [`80-${sb}.localhost`, "http://elsewhere/"],
    ]) {
      expect(reader.read(host, url).kind, `${host} ${url}`).toBe("malformed");
    }
  });
});

describe("Location under the path form", () => {
  const address: ProxyAddress = { form: "path", wireId: sb, port: 8000, upstreamPath: "/", prefix: `/proxy/${sb}/8000` };
  const req = { headers: { host: "api.test:8080" }, socket: {} } as unknown as IncomingMessage;
  it.each([
    ["/dir/", `/proxy/${sb}/8000/dir/`],
    [`/proxy/${sb}/8000/dir/`, `/proxy/${sb}/8000/dir/`],
    ["dir/", "dir/"],
    ["//cdn.test/x", "//cdn.test/x"],
    ["http://api.test:8080/login?next=/", `http://api.test:8080/proxy/${sb}/8000/login?next=/`],
    ["http://localhost:8000/a#h", `http://api.test:8080/proxy/${sb}/8000/a#h`],
    ["https://other.test/a", "https://other.test/a"],
    ["http://localhost:9000/a", "http://localhost:9000/a"],
  ])("%s → %s", (location, expected) => {
    expect(rewriteLocation(location, req, address)).toBe(expected);
  });
});

describe("cookies a sandbox sets", () => {
  const byPath: ProxyAddress = { form: "path", wireId: sb, port: 8000, upstreamPath: "/", prefix: `/proxy/${sb}/8000` };
  const byHost: ProxyAddress = { ...byPath, form: "host", prefix: "" };
  it("drops wrenn_* cookies and Domain, and keeps Path under the path form's prefix", () => {
    expect(sandboxCookie("wrenn_session=planted; Path=/", byPath)).toBeUndefined();
    expect(sandboxCookie("WRENN_csrf=x", byHost)).toBeUndefined();
    expect(sandboxCookie("app=1; Domain=localhost; Path=/; HttpOnly", byHost)).toBe("app=1; Path=/; HttpOnly");
    expect(sandboxCookie("app=1; Path=/; SameSite=Lax", byPath)).toBe(`app=1; Path=/proxy/${sb}/8000/; SameSite=Lax`);
    expect(sandboxCookie("app=1; path=/api", byPath)).toBe(`app=1; Path=/proxy/${sb}/8000/api`);
    expect(sandboxCookie("app=1", byPath)).toBe("app=1");
  });
});
