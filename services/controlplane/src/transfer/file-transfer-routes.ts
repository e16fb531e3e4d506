import type { Logger } from "@wrenn/shared";
import type { HttpRequestInfo, RawHttpRoute } from "../gateway/index.js";
import type { RequestAttributes } from "../request-attributes.js";

export interface FileTransferRoutesOptions {
  /** The controlplane's own gRPC port ("host:port"): uploads and downloads are WriteFile / ReadFile calls there with the caller's credential. */
  grpcTarget: string;
  authorize(request: HttpRequestInfo): Promise<RequestAttributes>;
  logger: Logger;
}

export interface FileTransferRoutes {
  routes: RawHttpRoute[];
  close(): Promise<void>;
}

/** Placeholder until HTTP file transfer lands: no routes. */
export function createFileTransferRoutes(_options: FileTransferRoutesOptions): FileTransferRoutes {
  return { routes: [], close: () => Promise.resolve() };
}
