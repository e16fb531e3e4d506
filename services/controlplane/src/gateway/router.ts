import { matchPathTemplate, type PathTemplate } from "./path-template.js";
import type { Route } from "./routes.js";

/** What the router needs of a route: transcoded ones and raw ones (raw-routes.ts) alike. */
export interface RoutableRoute {
  httpMethod: string;
  template: PathTemplate;
  /** Names the route in errors: a gRPC path, or "raw GET /v1/…". */
  grpcPath: string;
}

export type RouteMatch<R extends RoutableRoute = Route> =
  | { kind: "found"; route: R; pathVars: Map<string, string> }
  | { kind: "not_found" }
  | { kind: "method_not_allowed"; allow: string[] }
  | { kind: "bad_path"; message: string };

export interface Router<R extends RoutableRoute = Route> {
  match(httpMethod: string, rawPath: string): RouteMatch<R>;
}

/**
 * A path belongs to the most specific template it matches (literal segments
 * win over variables, so ".../processes/close-stdin" is never a
 * "{selector}"); only the routes of that one template decide between the
 * call and 405, and only their methods are listed in Allow. Routes come
 * pre-sorted by specificity, so the first template that matches is it.
 */
export function createRouter<R extends RoutableRoute = Route>(routes: R[]): Router<R> {
  const groups = groupByTemplate(routes);
  return {
    match(httpMethod, rawPath) {
      const method = httpMethod.toUpperCase();
      for (const group of groups) {
        let vars: Map<string, string> | undefined;
        try {
          vars = matchPathTemplate(group.template, rawPath);
        } catch {
          return { kind: "bad_path", message: "malformed percent-encoding in path" };
        }
        if (!vars) continue;
        const route = group.routes.find((r) => r.httpMethod === method);
        if (route) return { kind: "found", route, pathVars: matchPathTemplate(route.template, rawPath)! };
        return { kind: "method_not_allowed", allow: [...new Set(group.routes.map((r) => r.httpMethod))].sort() };
      }
      return { kind: "not_found" };
    },
  };
}

interface TemplateGroup<R extends RoutableRoute> {
  template: PathTemplate;
  routes: R[];
}

/** Routes whose templates accept exactly the same paths, in specificity order. */
function groupByTemplate<R extends RoutableRoute>(routes: R[]): TemplateGroup<R>[] {
  const groups = new Map<string, TemplateGroup<R>>();
  for (const route of routes) {
    const key = shapeKey(route.template);
    const group = groups.get(key);
    const taken = group?.routes.find((r) => r.httpMethod === route.httpMethod);
    // Two APIs (or two bindings) on one method and path: only one could ever be called.
    if (taken) throw new Error(`${route.grpcPath} and ${taken.grpcPath} both bind ${route.httpMethod} ${route.template.source}`);
    if (group) group.routes.push(route);
    else groups.set(key, { template: route.template, routes: [route] });
  }
  return [...groups.values()];
}

/** Two templates with the same key match the same paths (variable names aside). */
export function shapeKey(template: PathTemplate): string {
  const parts = template.segments.map((s) => (s.kind === "literal" ? `=${s.value}` : s.kind === "single" ? "*" : "**"));
  return `${parts.join("/")}:${template.verb ?? ""}`;
}
