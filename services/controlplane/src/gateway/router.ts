import { matchPathTemplate } from "./path-template.js";
import type { Route } from "./routes.js";

export type RouteMatch =
  | { kind: "found"; route: Route; pathVars: Map<string, string> }
  | { kind: "not_found" }
  | { kind: "method_not_allowed"; allow: string[] }
  | { kind: "bad_path"; message: string };

export interface Router {
  match(httpMethod: string, rawPath: string): RouteMatch;
}

/** Routes are pre-sorted by specificity, so the first match wins. */
export function createRouter(routes: Route[]): Router {
  return {
    match(httpMethod, rawPath) {
      const method = httpMethod.toUpperCase();
      const allow = new Set<string>();
      for (const route of routes) {
        let vars: Map<string, string> | undefined;
        try {
          vars = matchPathTemplate(route.template, rawPath);
        } catch {
          return { kind: "bad_path", message: "malformed percent-encoding in path" };
        }
        if (!vars) continue;
        if (route.httpMethod === method) return { kind: "found", route, pathVars: vars };
        allow.add(route.httpMethod);
      }
      if (allow.size > 0) return { kind: "method_not_allowed", allow: [...allow].sort() };
      return { kind: "not_found" };
    },
  };
}
