import type { Logger } from "@wrenn/shared";
import type { HttpRequestInfo, RawHttpRoute } from "../gateway/index.js";
import type { RequestAttributes } from "../request-attributes.js";

export interface WebSocketRoutesOptions {
  /** The controlplane's own gRPC port ("host:port"): the bridge calls the public API there with the caller's credential. */
  grpcTarget: string;
  authorize(request: HttpRequestInfo): Promise<RequestAttributes>;
  logger: Logger;
}

export interface WebSocketRoutes {
  routes: RawHttpRoute[];
  /** Closes every open bridge (close code 1001) and the gRPC channel. */
  close(): Promise<void>;
}

/** Placeholder until the WebSocket bridge lands: no routes. */
export function createWebSocketRoutes(_options: WebSocketRoutesOptions): WebSocketRoutes {
  return { routes: [], close: () => Promise.resolve() };
}
