import type { IncomingMessage, ServerResponse } from "node:http";
import { Metadata } from "nice-grpc-common";
import type { RequestAttributes } from "../request-attributes.js";
import { forwardedHeaders } from "./grpc-backend.js";
import { gatewayPaths } from "./ops-routes.js";
import type { Route } from "./routes.js";
import type { RoutableRoute, Router } from "./router.js";

/**
 * A hand-written HTTP handler served beside the transcoded routes (an
 * extension's webhook, an OAuth callback): it owns `prefix` and every path
 * below it. Errors it throws are answered like the gateway's own: a
 * ServerError's status through the status table, anything else 500.
 */
export interface HttpHandlerRoute {
  /** "/v1/teams": this path and "/v1/teams/…", never "/v1/teamsx". */
  prefix: string;
  handle(req: IncomingMessage, res: ServerResponse, request: HttpRouteRequest): Promise<void>;
}

export interface HttpRouteRequest {
  /** The raw (still percent-encoded) path and query string. */
  path: string;
  query: string;
  /** What the request hooks attached. */
  attributes: RequestAttributes;
  /** Aborted when the client goes away before the response is complete. */
  signal: AbortSignal;
}

/** The request as the gateway's `authorize` option sees it, before a handler route runs. */
export interface HttpRequestInfo {
  path: string;
  httpMethod: string;
  /** `authorization`, `cookie` and `x-*` headers, as they would be forwarded to gRPC. */
  metadata: Metadata;
  /** The HTTP client's address. */
  peer: string;
}

/** The gateway's own paths, which no handler route may take. */
const reserved = gatewayPaths;

export interface HandlerRoutes {
  match(rawPath: string): HttpHandlerRoute | undefined;
}

/**
 * Checks every prefix once, at start: a prefix that would shadow a
 * transcoded route, lie under one, or take a gateway path is refused, so no
 * request is ever silently served by the wrong one.
 */
export function createHandlerRoutes(handlers: HttpHandlerRoute[], routes: Route[], router: Router<RoutableRoute>): HandlerRoutes {
  const byLength = [...handlers].sort((a, b) => b.prefix.length - a.prefix.length);
  const seen = new Set<string>();
  for (const { prefix } of byLength) {
    if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(prefix)) throw new Error(`handler route prefix "${prefix}" must be "/segment[/segment…]" without a trailing "/"`);
    if (seen.has(prefix)) throw new Error(`two handler routes have the prefix "${prefix}"`);
    seen.add(prefix);
    if (reserved.some((path) => underPrefix(path, prefix) || underPrefix(prefix, path))) throw new Error(`handler route prefix "${prefix}" takes a gateway path`);
    if (router.match("GET", prefix).kind !== "not_found") throw new Error(`handler route prefix "${prefix}" is a transcoded route's path`);
    const shadowed = routes.find((route) => underPrefix(literalHead(route), prefix));
    if (shadowed) throw new Error(`handler route prefix "${prefix}" would shadow ${route(shadowed)}`);
  }
  return {
    match: (rawPath) => byLength.find((handler) => underPrefix(rawPath, handler.prefix)),
  };
}

/** The same headers the transcoded calls carry (`authorization`, `cookie`, `x-*`, the client's address), as call metadata. */
export function hookMetadata(req: IncomingMessage): Metadata {
  const metadata = Metadata();
  for (const [name, value] of forwardedHeaders(req)) metadata.append(name, value);
  return metadata;
}

function underPrefix(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(prefix + "/");
}

/** The literal segments a template starts with, as a path ("/v1/sandboxes" of "/v1/sandboxes/{id}"). */
function literalHead(route: Route): string {
  const head: string[] = [];
  for (const segment of route.template.segments) {
    if (segment.kind !== "literal") break;
    head.push(segment.value);
  }
  return "/" + head.join("/");
}

const route = (r: Route) => `${r.httpMethod} ${r.template.source}`;
