import { describe, expect, it } from "vitest";
import { descriptorSetBase64 } from "@wrenn/gen/descriptor.js";
import { buildRouteTable, loadRegistry, mergeRoutes } from "../../src/gateway/routes.js";
import { createRouter } from "../../src/gateway/router.js";

const { routes } = buildRouteTable(loadRegistry(descriptorSetBase64), "wrenn.api.v1");
const router = createRouter(routes);
const sb = "sb-0123456789abcdef0123456789abcdef";

function rpcFor(method: string, path: string): string {
  const m = router.match(method, path);
  if (m.kind === "found") return m.route.method.name;
  if (m.kind === "method_not_allowed") return `405 ${m.allow.join(", ")}`;
  return m.kind;
}

describe("routing", () => {
  it("gives a literal segment to its own route, never to a variable beside it", () => {
    for (const [literal, rpc] of [
      ["close-stdin", "CloseProcessStdin"],
      ["connect", "ConnectProcess"],
      ["input", "SendProcessInput"],
      ["signal", "SignalProcess"],
      ["update", "UpdateProcess"],
    ]) {
      const path = `/v1/sandboxes/${sb}/processes/${literal}`;
      expect(rpcFor("POST", path)).toBe(rpc);
      // Allow lists only the literal route's methods: the path is not a {selector}.
      expect(rpcFor("GET", path)).toBe("405 POST");
      expect(rpcFor("DELETE", path)).toBe("405 POST");
    }
  });

  it("still routes other values to the variable", () => {
    const m = router.match("DELETE", `/v1/sandboxes/${sb}/processes/ticker`);
    expect(m.kind).toBe("found");
    if (m.kind !== "found") return;
    expect(m.route.method.name).toBe("KillProcess");
    expect(Object.fromEntries(m.pathVars)).toEqual({ sandbox_id: sb, selector: "ticker" });
    expect(rpcFor("POST", `/v1/sandboxes/${sb}/processes/ticker`)).toBe("405 DELETE");
  });

  it("lists in Allow exactly the methods of the template that matched", () => {
    expect(rpcFor("PUT", "/v1/sandboxes")).toBe("405 GET, POST");
    expect(rpcFor("PATCH", `/v1/sandboxes/${sb}`)).toBe("405 DELETE, GET");
    expect(rpcFor("PUT", `/v1/sandboxes/${sb}/processes`)).toBe("405 GET, POST");
    expect(rpcFor("GET", `/v1/sandboxes/${sb}/files`)).toBe("405 DELETE");
    expect(rpcFor("GET", "/v1/nothing")).toBe("not_found");
  });

  it("reaches every route with a path built from its own template", () => {
    for (const route of routes) {
      const path = route.template.openApiPath.replace(/\{[^}]+\}/g, (name) => (name === "{sandbox_id}" ? sb : "x"));
      expect(rpcFor(route.httpMethod, path), `${route.httpMethod} ${path}`).toBe(route.method.name);
    }
  });

  it("refuses two APIs that bind the same method and path (only one could ever be called)", () => {
    const twice = mergeRoutes([1, 2].map(() => buildRouteTable(loadRegistry(descriptorSetBase64), "wrenn.api.v1")));
    expect(() => createRouter(twice)).toThrow(
      /^\/wrenn\.api\.v1\.\w+\/\w+ and \/wrenn\.api\.v1\.\w+\/\w+ both bind [A-Z]+ \/v1\//,
    );
  });
});
