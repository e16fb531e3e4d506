import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { compareSpecificity, parsePathTemplate, type PathTemplate } from "./path-template.js";
import type { Route } from "./routes.js";

/**
 * A route the gateway serves by hand instead of transcoding it (file
 * transfer bodies, WebSocket bridges). It sits in the same router as the
 * transcoded routes, so the most specific template still owns a path and a
 * method it lacks is 405 with the other methods of that template in Allow
 * (`DELETE …/files` is RemoveFile, `GET`/`POST …/files` are raw).
 *
 * The gateway runs no hook for it: the handler authenticates the request
 * itself (before reading any body) and makes its calls through the gRPC port
 * with the caller's credential, so tenancy, CSRF and audit are the RPCs'.
 */
export interface RawHttpRoute {
  /** "GET", "POST", … */
  httpMethod: string;
  /** A template in the annotations' syntax: "/v1/sandboxes/{sandbox_id}/files". */
  path: string;
  /**
   * The OpenAPI operation (summary, parameters beyond the path's, requestBody,
   * responses, x-* extensions) listed in /openapi.json; the path parameters are added.
   */
  openapi: Record<string, unknown>;
  /** A plain request. A WebSocket route answers 426 here. */
  handle(req: IncomingMessage, res: ServerResponse, request: RawRouteRequest): Promise<void>;
  /**
   * Only WebSocket routes (GET) have it: an `Upgrade: websocket` request to
   * this route. Every other route refuses an upgrade, whatever it claims.
   */
  upgrade?(req: IncomingMessage, socket: Duplex, head: Buffer, request: RawRouteRequest): Promise<void>;
}

export interface RawRouteRequest {
  /** Path variables, percent-decoded. */
  pathVars: Map<string, string>;
  /** The raw query string (without "?"). */
  query: string;
  /** Aborted when the client goes away before the answer is complete. */
  signal: AbortSignal;
}

/** A raw route as the router holds it. */
export interface RoutedRawRoute {
  kind: "raw";
  httpMethod: string;
  template: PathTemplate;
  grpcPath: string;
  raw: RawHttpRoute;
}

export type AnyRoute = Route | RoutedRawRoute;

export function toRoutedRaw(raw: RawHttpRoute): RoutedRawRoute {
  if (raw.upgrade && raw.httpMethod !== "GET") throw new Error(`WebSocket route ${raw.path} must be GET`);
  return { kind: "raw", httpMethod: raw.httpMethod.toUpperCase(), template: parsePathTemplate(raw.path), grpcPath: `raw ${raw.httpMethod} ${raw.path}`, raw };
}

/** Transcoded and raw routes in one list, in specificity order (the router's precondition). */
export function withRawRoutes(routes: Route[], raws: RawHttpRoute[]): AnyRoute[] {
  return [...routes, ...raws.map(toRoutedRaw)].sort((a, b) => compareSpecificity(a.template, b.template));
}

/**
 * Takes requests before any route looks at them (the port proxy: its host
 * form owns every path of `{port}-{sandbox}.{domain}`, its path form
 * `/proxy/…`). `claims` decides synchronously from the request line and
 * headers; the gateway then hands the request or upgrade over entirely.
 */
export interface FrontHandler {
  name: string;
  claims(req: IncomingMessage): boolean;
  /** Errors thrown before headers are sent are answered through the status table. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** Must answer and end the socket itself, whatever happens. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void>;
}
