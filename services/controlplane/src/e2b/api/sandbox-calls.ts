import type * as grpc from "@grpc/grpc-js";
import {
  CreateSandboxRequest,
  CreateSandboxResponse,
  DestroySandboxRequest,
  DestroySandboxResponse,
  GetSandboxMetricsRequest,
  GetSandboxMetricsResponse,
  GetSandboxRequest,
  GetSandboxResponse,
  ListSandboxesRequest,
  ListSandboxesResponse,
  PauseSandboxRequest,
  PauseSandboxResponse,
  ResumeSandboxRequest,
  ResumeSandboxResponse,
  SetSandboxTimeoutRequest,
  SetSandboxTimeoutResponse,
} from "@wrenn/gen/wrenn/api/v1/sandbox.js";
import { deserializeBytes, serializeBytes, type GrpcBackend } from "../../gateway/grpc-backend.js";

interface Codec<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(bytes: Uint8Array): T;
  fromPartial(object: Partial<T>): T;
}

/** One caller's view of the public SandboxService: its metadata (X-API-KEY, client address) on every call. */
export type SandboxCalls = ReturnType<typeof sandboxCalls>;

/**
 * The public SandboxService, called over the face's own channel with the
 * HTTP caller's metadata, so authentication, tenancy, limits, quota and audit
 * are exactly the native API's.
 */
export function sandboxCalls(backend: GrpcBackend, metadata: grpc.Metadata, signal: AbortSignal) {
  function unary<Req, Res>(method: string, req: Codec<Req>, res: Codec<Res>) {
    return (request: Partial<Req>): Promise<Res> =>
      new Promise((resolve, reject) => {
        const call = backend.control.makeUnaryRequest(
          `/wrenn.api.v1.SandboxService/${method}`,
          serializeBytes,
          deserializeBytes,
          req.encode(req.fromPartial(request)).finish(),
          metadata,
          {},
          (err, value) => (err || !value ? reject(err ?? new Error("no response")) : resolve(res.decode(value))),
        );
        signal.addEventListener("abort", () => call.cancel(), { once: true });
      });
  }
  return {
    create: unary("CreateSandbox", CreateSandboxRequest, CreateSandboxResponse),
    get: unary("GetSandbox", GetSandboxRequest, GetSandboxResponse),
    list: unary("ListSandboxes", ListSandboxesRequest, ListSandboxesResponse),
    destroy: unary("DestroySandbox", DestroySandboxRequest, DestroySandboxResponse),
    pause: unary("PauseSandbox", PauseSandboxRequest, PauseSandboxResponse),
    resume: unary("ResumeSandbox", ResumeSandboxRequest, ResumeSandboxResponse),
    setTimeout: unary("SetSandboxTimeout", SetSandboxTimeoutRequest, SetSandboxTimeoutResponse),
    metrics: unary("GetSandboxMetrics", GetSandboxMetricsRequest, GetSandboxMetricsResponse),
  };
}
