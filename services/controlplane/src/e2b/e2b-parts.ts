import type { Logger } from "@wrenn/shared";
import type { FrontHandler, HttpRequestInfo, RawHttpRoute } from "../gateway/index.js";
import type { RequestAttributes } from "../request-attributes.js";
import { createE2bApiRoutes } from "./api/api-routes.js";
import { createEnvdFace } from "./envd/envd-face.js";

export interface E2bPartsOptions {
  grpcTarget: string;
  authorize(request: HttpRequestInfo): Promise<RequestAttributes>;
  /** The port proxy's domain, which is also the sandboxes' domain on the E2B face. */
  domain: string;
  /** The domain reported to SDKs in `Sandbox.domain` (the proxy domain, with the HTTP port when it is not 80/443). */
  sandboxDomain: string;
  logger: Logger;
}

/**
 * The E2B-compatible face: the official `e2b` SDKs work against Wrenn
 * unchanged. A second face on the same domain, not a second implementation:
 * every request becomes a public API call with the caller's credential.
 */
export function createE2bParts(options: E2bPartsOptions): { front: FrontHandler[]; rawRoutes: RawHttpRoute[]; close(): Promise<void> } {
  const envd = createEnvdFace({ grpcTarget: options.grpcTarget, domain: options.domain, logger: options.logger.child({ component: "e2b-envd" }) });
  const api = createE2bApiRoutes({
    grpcTarget: options.grpcTarget,
    authorize: options.authorize,
    sandboxDomain: options.sandboxDomain,
    logger: options.logger.child({ component: "e2b-api" }),
  });
  return {
    front: [envd.front],
    rawRoutes: api.routes,
    async close() {
      await Promise.allSettled([envd.close(), api.close()]);
    },
  };
}
