import type { HostEnrollment } from "./hosts/enrollment/host-enrollment.js";
import type { CompatServiceDefinition, Metadata, ServiceImplementation } from "nice-grpc";
import type { DatabasePool } from "slonik";
import type { Logger } from "@wrenn/shared";
import type { ControlPlaneConfig } from "./config.js";
import type { EventBus } from "./events/event-bus.js";
import type { HttpApi, HttpHandlerRoute } from "./gateway/index.js";
import type { HostRegistry } from "./hosts/host-registry.js";
import type { SandboxLifecycle } from "./lifecycle/sandbox-lifecycle.js";
import type { Reconciler } from "./reconciler/reconciler.js";
import type { RequestAttributes } from "./request-attributes.js";

export type { HttpApi, HttpHandlerRoute, HttpRouteRequest } from "./gateway/index.js";

export type { RequestAttributes } from "./request-attributes.js";

/**
 * An extension adds to the controlplane without copying its bootstrap: a
 * private edition's teams, billing or API keys. `setup` runs once the core
 * (database, event bus, hosts, lifecycle, reconciler) is up and before any
 * server listens; what it returns is served with the core.
 */
export interface ControlPlaneExtension {
  name: string;
  setup(context: ExtensionContext): ExtensionParts | Promise<ExtensionParts>;
}

/** What an extension builds on: the core's state, never its servers. */
export interface ExtensionContext {
  config: ControlPlaneConfig;
  /** A child logger carrying the extension's name. */
  logger: Logger;
  /** The migrated PostgreSQL (or embedded PGlite) pool; an extension's own tables come with its own migrations. */
  pool: DatabasePool;
  bus: EventBus;
  lifecycle: SandboxLifecycle;
  hosts: HostRegistry;
  /** Host registration tokens, registration and revocation (AdminService uses it). */
  enrollment: HostEnrollment;
  reconciler: Reconciler;
}

export interface ExtensionParts {
  /** Served on the controlplane's gRPC port, behind the same middleware and request hooks as the public API. */
  grpcServices?: GrpcService[];
  /**
   * Descriptor sets whose google.api.http-annotated methods the gateway
   * transcodes to `grpcServices`, like the public API (NDJSON streams, OpenAPI).
   */
  httpApis?: HttpApi[];
  /** Raw HTTP handlers on the gateway, each owning a path prefix. */
  httpRoutes?: HttpHandlerRoute[];
  /** Started once every server listens; aborted and awaited first at shutdown. */
  workers?: BackgroundWorker[];
  /** Run, in order, before every hooked gRPC call and extension HTTP request (see request-hooks.ts). */
  requestHooks?: RequestHook[];
  /** Runs at shutdown after the servers have stopped, before the core closes. */
  close?(): Promise<void> | void;
}

/** A gRPC service as `grpcService()` checked it; the definition is ts-proto's or grpc-js's shape. */
export interface GrpcService {
  definition: CompatServiceDefinition;
  implementation: object;
}

/** Pairs a definition with its implementation, type-checked; handlers read `context.attributes`. */
export function grpcService<S extends CompatServiceDefinition>(
  definition: S,
  implementation: ServiceImplementation<S, { attributes: RequestAttributes }>,
): GrpcService {
  return { definition, implementation };
}

export interface BackgroundWorker {
  name: string;
  /**
   * Run on one controlplane copy at a time (the one holding the lease named
   * after the worker), for jobs that several copies must not do at once.
   */
  singleton?: boolean;
  /**
   * Works until `signal` aborts, then settles. A worker that throws is logged
   * and not restarted (the controlplane keeps serving without it).
   */
  run(signal: AbortSignal): Promise<void>;
}

/** One incoming request as every hook sees it, whichever protocol carried it. */
export interface HookedRequest {
  protocol: "grpc" | "http";
  /** gRPC: "/pkg.Service/Method"; HTTP: the request path of an extension route. */
  path: string;
  /** HTTP only: "GET", "POST", … */
  httpMethod?: string;
  /** gRPC call metadata; for HTTP, the `authorization`, `cookie` and `x-*` headers, the same the gateway forwards. */
  metadata: Metadata;
  /** The connection's peer address ("127.0.0.1", "::1"): the gRPC peer, or the HTTP client of a handler route. */
  peer?: string;
  /** What the hooks before this one attached. */
  attributes: RequestAttributes;
}

/**
 * Rejects a request by throwing a ServerError (its status goes to the caller,
 * over HTTP through the status table), or returns attributes (a team, a key id)
 * that later hooks and the handler see. Anything else thrown is INTERNAL.
 */
export type RequestHook = (request: HookedRequest) => Promise<Partial<RequestAttributes> | void> | Partial<RequestAttributes> | void;
