import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { descriptorSetBase64 as defaultDescriptorSet } from "@wrenn/gen/descriptor.js";
import { Status, type Metadata } from "nice-grpc-common";
import { httpStatusFor, type Logger } from "@wrenn/shared";
import type { ControlPlaneMetrics } from "../observability/metrics.js";
import type { ReadinessCheck } from "../observability/readiness.js";
import type { RequestAttributes } from "../request-attributes.js";
import { errorBody, GatewayError, gatewayErrors, resolveError, sendError } from "./gateway-error.js";
import { clientAddress, createGrpcBackend } from "./grpc-backend.js";
import { buildOpenApi } from "./openapi.js";
import { createDocsAssets } from "./docs-page.js";
import { createDrainingServer, defaultServerLimits, type DrainingServer, type HttpServerLimits, type TlsCredentials } from "./http-server.js";
import { createOpsRoutes } from "./ops-routes.js";
import { createHandlerRoutes, hookMetadata, type HttpHandlerRoute, type HttpRequestInfo } from "./handler-routes.js";
import { createRouter } from "./router.js";
import { toRoutedRaw, withRawRoutes, type AnyRoute, type FrontHandler, type RawHttpRoute, type RoutedRawRoute } from "./raw-routes.js";
import { buildRouteTable, loadRegistry, mergeRoutes } from "./routes.js";
import type { GatewayLimits, TranscodeContext } from "./transcode-context.js";
import { transcodeUnary } from "./transcode-unary.js";
import { transcodeServerStream } from "./transcode-server-stream.js";
import { transcodeClientStream } from "./transcode-client-stream.js";

export interface GatewayOptions {
  /** gRPC server to forward to: "host:port" (or "unix:/path"). */
  grpcTarget: string;
  logger: Logger;
  /** FileDescriptorSet (with imports) carrying the google.api.http rules; defaults to the generated one. */
  descriptorSetBase64?: string;
  /** Services in this package (or below it) are exposed. */
  packagePrefix?: string;
  /** More APIs transcoded the same way (an extension's services): each set's annotated methods in its package. */
  extraApis?: HttpApi[];
  /** Limits of JSON transcoding (bodies of transcoded routes only: raw routes read their own). */
  limits?: Partial<GatewayLimits>;
  /** Header time, idle keep-alive time and header size of the HTTP server. */
  serverLimits?: Partial<HttpServerLimits>;
  /** How long close() lets in-flight requests, streams and upgraded sockets finish before cutting them; unset: 10 s. */
  shutdownGraceMs?: number;
  /** Every request is observed (by route template) and /metrics serves the registry; unset: no /metrics. */
  metrics?: Pick<ControlPlaneMetrics, "registry" | "observeRequest">;
  /** What /readyz checks (503 when one fails); unset: ready while the server runs. */
  readiness?: () => Promise<ReadinessCheck[]>;
  /** Title and version of the OpenAPI document. */
  apiInfo?: { title: string; version: string };
  /** Hand-written handlers, each owning a path prefix (checked against the transcoded routes at start). */
  handlers?: HttpHandlerRoute[];
  /** Hand-served routes on path templates, routed with the transcoded ones (file transfer, WebSocket bridges). */
  rawRoutes?: RawHttpRoute[];
  /** Asked first, in order, for every request and upgrade (the port proxy). */
  front?: FrontHandler[];
  /**
   * Runs before every handler route (transcoded routes are checked by the
   * gRPC server they call): throw a status to refuse, or return what the
   * handler gets as `attributes`. Health and the API documents are open.
   */
  authorize?: (request: HttpRequestInfo) => Promise<RequestAttributes>;
  /**
   * How the gRPC server authenticates (with `authorize`), so a transcoded
   * request for a method not in `openMethods` is 401, not 400, whatever its
   * body: one with no credential at all is refused through `authorize` before
   * its body is read; one whose body the gateway refuses is passed to
   * `authorize` first (only then: a good request is authenticated once, by
   * the gRPC server). Unset: the gateway leaves it all to the gRPC server.
   */
  authentication?: {
    /** gRPC paths callable without a credential. */
    openMethods: ReadonlySet<string>;
    /** Whether the forwarded headers carry a credential at all, good or bad. */
    carriesCredential(metadata: Metadata): boolean;
  };
}

export interface HttpApi {
  /** FileDescriptorSet (with imports, google/api/annotations.proto among them), base64. */
  descriptorSetBase64: string;
  packagePrefix: string;
}

export interface Gateway {
  server: Server;
  /** Resolves with the bound address, "host:port". */
  listen(port: number, host?: string): Promise<string>;
  /** A further listener serving the same routes over TLS; resolves with its bound address. Call at most once. */
  listenTls(port: number, host: string, credentials: TlsCredentials): Promise<string>;
  /**
   * Stops accepting, lets what is in flight finish within the shutdown
   * grace (responses then carry Connection: close, /readyz is 503), cuts the
   * rest, then closes the gRPC channel.
   */
  close(): Promise<void>;
}

const defaultLimits: GatewayLimits = {
  maxBodyBytes: 8 * 1024 * 1024,
  bodyTimeoutMs: 60_000,
  // Lifecycle calls with wait_ready can take a while; streams have no deadline at all.
  unaryTimeoutMs: 5 * 60_000,
};

/** HTTP/JSON → gRPC transcoding driven by the google.api.http annotations. */
export function createGateway(options: GatewayOptions): Gateway {
  const logger = options.logger.child({ component: "gateway" });
  const apis = [
    { descriptorSetBase64: options.descriptorSetBase64 ?? defaultDescriptorSet, packagePrefix: options.packagePrefix ?? "wrenn.api.v1" },
    ...(options.extraApis ?? []),
  ];
  const tables = apis.map((api) => buildRouteTable(loadRegistry(api.descriptorSetBase64), api.packagePrefix));
  for (const path of tables.flatMap((table) => table.skipped)) logger.warn({ method: path }, "bidi-streaming RPC has an http rule; not served over HTTP");
  const routes = mergeRoutes(tables);
  const router = createRouter<AnyRoute>(withRawRoutes(routes, options.rawRoutes ?? []));
  const front = options.front ?? [];
  const handlers = createHandlerRoutes(options.handlers ?? [], routes, router);
  const info = options.apiInfo ?? { title: "Wrenn API", version: "v1" };
  const openApi = buildOpenApi(routes, info, { rawRoutes: (options.rawRoutes ?? []).map(toRoutedRaw), openMethods: options.authentication?.openMethods });
  const limits = { ...defaultLimits, ...options.limits };
  const backend = createGrpcBackend(options.grpcTarget);
  const metrics = options.metrics;
  const ops = createOpsRoutes({
    openApiJson: JSON.stringify(openApi),
    docs: createDocsAssets(info.title),
    registry: metrics?.registry,
    readiness: options.readiness,
    draining: () => http.draining,
  });
  /** The route label each response is counted under (templates, never raw paths: ids would explode the series). */
  const labels = new WeakMap<ServerResponse, string>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const rawPath = q >= 0 ? url.slice(0, q) : url;
    const query = q >= 0 ? url.slice(q + 1) : "";
    const method = req.method ?? "GET";

    const claimant = front.find((handler) => handler.claims(req));
    if (claimant) {
      labels.set(res, claimant.name);
      return claimant.handle(req, res);
    }

    if (method === "GET" || method === "HEAD") {
      const served = await ops.serve(rawPath, res);
      if (served) return void labels.set(res, served);
    }

    // Aborted when the client disconnects before we finished answering; the
    // transcoders cancel their gRPC call on it, handler routes get it as `signal`.
    const abort = new AbortController();
    res.once("close", () => {
      if (!res.writableFinished) abort.abort();
    });
    const authorize = () => (options.authorize ? options.authorize({ path: rawPath, httpMethod: method, metadata: hookMetadata(req), peer: clientAddress(req) }) : Promise.resolve({}));
    const handler = handlers.match(rawPath);
    if (handler) {
      labels.set(res, `${handler.prefix}/…`);
      const attributes = await authorize();
      return handler.handle(req, res, { path: rawPath, query, attributes, signal: abort.signal });
    }

    const match = router.match(method, rawPath);
    if (match.kind === "not_found") throw gatewayErrors.notFound(`no route for ${method} ${rawPath}`);
    if (match.kind === "method_not_allowed") throw gatewayErrors.methodNotAllowed(match.allow);
    if (match.kind === "bad_path") throw gatewayErrors.invalidArgument(match.message);
    labels.set(res, match.route.template.source);
    if (match.route.kind === "raw") return match.route.raw.handle(req, res, { pathVars: match.pathVars, query, signal: abort.signal });

    const ctx: TranscodeContext = {
      req,
      res,
      route: match.route,
      pathVars: match.pathVars,
      query,
      registry: match.route.registry,
      backend,
      limits,
      signal: abort.signal,
      logger,
    };
    const auth = options.authentication;
    if (!auth || auth.openMethods.has(match.route.grpcPath)) return transcode(ctx);
    // Refused with the hook's own 401 and message, before any of the body is read.
    if (!auth.carriesCredential(hookMetadata(req))) await authorize();
    try {
      return await transcode(ctx);
    } catch (err) {
      // The gateway's own refusals (of the body) come before the gRPC server could authenticate.
      if (err instanceof GatewayError) await authorize();
      throw err;
    }
  }

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    const started = performance.now();
    // "close" also ends a response that was cut (client gone, shutdown): counted with the status it had begun with.
    res.once("close", () => {
      const ms = performance.now() - started;
      metrics?.observeRequest(labels.get(res) ?? "unmatched", req.method ?? "GET", res.statusCode, ms / 1000);
      if (!res.writableFinished) return;
      // The path without its query: query strings carry tokens.
      const fields = { method: req.method, path: req.url?.split("?")[0], status: res.statusCode, ms: Math.round(ms) };
      // A probe of an unready /readyz or a failed scrape is the probe's to report; readiness logs its own changes.
      if (res.statusCode >= 500 && !quietPaths.has(labels.get(res) ?? "")) logger.warn(fields, "request failed");
      else logger.debug(fields, "request");
    });
    handle(req, res).catch((err: unknown) => {
      const resolved = resolveError(err);
      if (!resolved.expected) logger.error({ err, path: req.url?.split("?")[0] }, "unhandled gateway error");
      const headers = { ...resolved.headers };
      // A body we refused to read would otherwise be parsed as the next request.
      if (!req.complete) headers.connection = "close";
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendError(res, resolved.code, resolved.message, resolved.httpStatus, headers);
    });
  }

  function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    handleUpgrade(req, socket, head).catch((err: unknown) => {
      const resolved = resolveError(err);
      if (!resolved.expected) logger.error({ err, path: req.url?.split("?")[0] }, "unhandled upgrade error");
      refuseUpgrade(socket, resolved.code, resolved.message, resolved.httpStatus, resolved.headers);
    });
  }

  const serverLimits = { ...defaultServerLimits, ...options.serverLimits };
  const refuseDraining = (socket: Duplex) => refuseUpgrade(socket, Status.UNAVAILABLE, "the server is shutting down");
  const http = createDrainingServer(serverLimits, onRequest, onUpgrade, refuseDraining);
  /** The TLS listener, when one was asked for: the same handlers, drained with the plain one. */
  let https: DrainingServer | undefined;
  const server: Server = http.server;
  const graceMs = options.shutdownGraceMs ?? 10_000;

  /**
   * An upgrade goes to the front handler that claims it, or to the WebSocket
   * route its path and method match; every other route refuses it before any
   * hook or handler runs, so an `Upgrade` header opens nothing.
   */
  async function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const claimant = front.find((handler) => handler.claims(req));
    if (claimant) return claimant.upgrade(req, socket, head);
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const rawPath = q >= 0 ? url.slice(0, q) : url;
    const match = router.match(req.method ?? "GET", rawPath);
    const route: RoutedRawRoute | undefined = match.kind === "found" && match.route.kind === "raw" && match.route.raw.upgrade ? match.route : undefined;
    if (!route?.raw.upgrade || match.kind !== "found") return refuseUpgrade(socket, Status.INVALID_ARGUMENT, "this route does not accept an Upgrade");
    const abort = new AbortController();
    socket.once("close", () => abort.abort());
    return route.raw.upgrade(req, socket, head, { pathVars: match.pathVars, query: q >= 0 ? url.slice(q + 1) : "", signal: abort.signal });
  }

  return {
    server,
    listen(port, host = "127.0.0.1") {
      return listenOn(server, port, host, "http", logger);
    },
    listenTls(port, host, credentials) {
      if (https) return Promise.reject(new Error("the gateway already has a TLS listener"));
      https = createDrainingServer(serverLimits, onRequest, onUpgrade, refuseDraining, credentials);
      return listenOn(https.server, port, host, "https", logger);
    },
    async close() {
      const results = await Promise.all([http.shutdown(graceMs), https?.shutdown(graceMs)]);
      const cut = results.reduce((sum, result) => sum + (result?.cut ?? 0), 0);
      if (cut > 0) logger.warn({ cut, graceMs }, "requests still running at the end of the shutdown grace were cut");
      backend.close();
    },
  };
}

/** Binds one listener and logs its "listening" line (what the devstack reads the port from). */
function listenOn(server: Server, port: number, host: string, listener: string, logger: Logger): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const addr = server.address() as AddressInfo;
      const address = `${addr.family === "IPv6" ? `[${addr.address}]` : addr.address}:${addr.port}`;
      logger.info({ listener, address }, "listening");
      resolve(address);
    });
  });
}

const quietPaths = new Set(["/readyz", "/metrics"]);

function transcode(ctx: TranscodeContext): Promise<void> {
  switch (ctx.route.kind) {
    case "server_streaming":
      return transcodeServerStream(ctx);
    case "client_streaming":
      return transcodeClientStream(ctx);
    default:
      return transcodeUnary(ctx);
  }
}

/** Answers an upgrade request with the gateway's error body and closes the connection. */
export function refuseUpgrade(socket: Duplex, code: Status, message: string, httpStatus = httpStatusFor(code), headers: Record<string, string> = {}): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify(errorBody(code, message));
  const lines = [`HTTP/1.1 ${httpStatus} ${STATUS_CODES[httpStatus] ?? "Error"}`, "connection: close", "content-type: application/json; charset=utf-8", `content-length: ${Buffer.byteLength(body)}`];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  socket.end(`${lines.join("\r\n")}\r\n\r\n${body}`);
}
