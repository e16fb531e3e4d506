import { describe, expect, it } from "vitest";
import { compareSpecificity, matchPathTemplate, parsePathTemplate } from "../../src/gateway/path-template.js";

const match = (template: string, path: string) => {
  const vars = matchPathTemplate(parsePathTemplate(template), path);
  return vars ? Object.fromEntries(vars) : undefined;
};

describe("path templates", () => {
  it("binds simple variables and percent-decodes them", () => {
    expect(match("/v1/sandboxes/{sandbox_id}", "/v1/sandboxes/sb-1")).toEqual({ sandbox_id: "sb-1" });
    expect(match("/v1/files/{name}", "/v1/files/a%2Fb%20c")).toEqual({ name: "a/b c" });
    expect(match("/v1/sandboxes/{sandbox_id}", "/v1/sandboxes/")).toBeUndefined();
    expect(match("/v1/sandboxes/{sandbox_id}", "/v1/sandboxes/a/b")).toBeUndefined();
    expect(match("/v1/sandboxes", "/v1/other")).toBeUndefined();
  });

  it("binds patterned and nested variables", () => {
    expect(match("/v1/{name=teams/*/sandboxes/*}", "/v1/teams/t1/sandboxes/s%2F2")).toEqual({ name: "teams/t1/sandboxes/s/2" });
    expect(match("/v1/{name=teams/*}/x", "/v1/users/u1/x")).toBeUndefined();
    expect(match("/v1/{parent.id}/items", "/v1/p1/items")).toEqual({ "parent.id": "p1" });
  });

  it("takes the rest of the path with **", () => {
    expect(match("/v1/files/{path=**}", "/v1/files/etc/nginx/nginx.conf")).toEqual({ path: "etc/nginx/nginx.conf" });
    expect(() => parsePathTemplate("/v1/{a=**}/x")).toThrow(/last segment/);
  });

  it("matches a :verb suffix", () => {
    const t = parsePathTemplate("/v1/sandboxes/{sandbox_id}:pause");
    expect(t.verb).toBe("pause");
    expect(t.openApiPath).toBe("/v1/sandboxes/{sandbox_id}:pause");
    expect(matchPathTemplate(t, "/v1/sandboxes/sb-1:pause")).toEqual(new Map([["sandbox_id", "sb-1"]]));
    expect(matchPathTemplate(t, "/v1/sandboxes/sb-1")).toBeUndefined();
  });

  it("rejects malformed percent-encoding", () => {
    expect(() => match("/v1/sandboxes/{sandbox_id}", "/v1/sandboxes/%E0%A4%A")).toThrow(URIError);
  });

  it("rejects malformed templates", () => {
    expect(() => parsePathTemplate("v1/x")).toThrow();
    expect(() => parsePathTemplate("/v1/{id")).toThrow();
    expect(() => parsePathTemplate("/v1//x")).toThrow();
    expect(() => parsePathTemplate("/v1/{bad-name}")).toThrow();
  });

  it("orders literal segments before variables", () => {
    const literal = parsePathTemplate("/v1/sandboxes/current");
    const variable = parsePathTemplate("/v1/sandboxes/{sandbox_id}");
    expect([variable, literal].sort(compareSpecificity)).toEqual([literal, variable]);
  });
});
