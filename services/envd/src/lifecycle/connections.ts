import { Server as GrpcServer } from "@grpc/grpc-js";

/**
 * nice-grpc keeps its grpc-js Server private, but closing connections
 * (GOAWAY) around a snapshot needs it. `captureGrpcServer` wraps the call to
 * `listen()` and records the grpc-js instance whose bindAsync it makes.
 */
export async function captureGrpcServer<T>(listen: () => Promise<T>): Promise<{ result: T; grpc: GrpcServer | undefined }> {
  const proto = GrpcServer.prototype as unknown as { bindAsync: (...args: unknown[]) => unknown };
  const original = proto.bindAsync;
  let grpc: GrpcServer | undefined;
  proto.bindAsync = function (this: GrpcServer, ...args: unknown[]) {
    grpc = this;
    return original.apply(this, args);
  };
  try {
    return { result: await listen(), grpc };
  } finally {
    proto.bindAsync = original;
  }
}

export interface ConnectionControl {
  /**
   * Sends GOAWAY on every connection: calls in flight finish, idle
   * connections close at once, clients reconnect for their next call.
   * Connections still busy after `graceMs` are cut.
   */
  closeAll(graceMs: number): void;
}

export function createConnectionControl(grpc: GrpcServer | undefined, boundAddress: string): ConnectionControl {
  return {
    closeAll(graceMs) {
      grpc?.drain(boundAddress, graceMs);
    },
  };
}
