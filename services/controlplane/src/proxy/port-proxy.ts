import type { Logger } from "@wrenn/shared";
import type { FrontHandler, HttpRequestInfo } from "../gateway/index.js";
import type { HostRegistry } from "../hosts/host-registry.js";
import type { SandboxLifecycle } from "../lifecycle/sandbox-lifecycle.js";
import type { ControlPlaneMetrics } from "../observability/metrics.js";
import type { RequestAttributes } from "../request-attributes.js";

export interface PortProxyOptions {
  /** Host form `{port}-{sandbox}.{domain}`; "localhost" by default (resolves to loopback without DNS). */
  domain: string;
  lifecycle: SandboxLifecycle;
  hosts: Pick<HostRegistry, "portProxyFor">;
  /** The request hooks (identity's authentication first), as the gateway's handler routes run them. */
  authorize(request: HttpRequestInfo): Promise<RequestAttributes>;
  metrics: ControlPlaneMetrics;
  logger: Logger;
}

export interface PortProxy {
  front: FrontHandler;
  close(): Promise<void>;
}

/** Placeholder until the port proxy lands: claims nothing. */
export function createPortProxy(_options: PortProxyOptions): PortProxy {
  return {
    front: { name: "port-proxy", claims: () => false, handle: () => Promise.resolve(), upgrade: () => Promise.resolve() },
    close: () => Promise.resolve(),
  };
}
