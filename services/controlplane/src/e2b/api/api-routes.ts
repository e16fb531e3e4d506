import type { Logger } from "@wrenn/shared";
import type { HttpRequestInfo, RawHttpRoute } from "../../gateway/index.js";
import type { RequestAttributes } from "../../request-attributes.js";

export interface E2bApiRoutesOptions {
  /** The controlplane's own gRPC port: every call is a public API call there, with the caller's X-API-KEY. */
  grpcTarget: string;
  authorize(request: HttpRequestInfo): Promise<RequestAttributes>;
  /** The domain reported to the SDKs as the sandboxes' (`Sandbox.domain`): `<port>-<id>.<domain>` reaches a port. */
  sandboxDomain: string;
  logger: Logger;
}

/**
 * The control-plane half of the E2B-compatible face: the REST calls the
 * SDKs make (`/sandboxes…`, `/v2/sandboxes…`), as raw routes on the
 * gateway's port. Placeholder: no routes yet.
 */
export function createE2bApiRoutes(_options: E2bApiRoutesOptions): { routes: RawHttpRoute[]; close(): Promise<void> } {
  return { routes: [], close: () => Promise.resolve() };
}
