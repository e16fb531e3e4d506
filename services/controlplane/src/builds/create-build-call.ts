import type * as grpc from "@grpc/grpc-js";
import { CreateBuildRequest, type BuildSpec } from "@wrenn/gen/wrenn/api/v1/template.js";
import { deserializeBytes, serializeBytes, type GrpcBackend } from "../gateway/grpc-backend.js";

/** Archive bytes per CreateBuild message (the proto allows 4 MiB). */
const chunkBytes = 1024 * 1024;

/**
 * One CreateBuild call on the public gRPC API with the HTTP caller's
 * metadata: the spec, then the archive as it is read. Each write waits for
 * grpc-js to take the message, so the upload holds about one chunk.
 */
export async function createBuildCall(backend: GrpcBackend, metadata: grpc.Metadata, spec: BuildSpec, archive: AsyncIterable<Buffer> | undefined, signal: AbortSignal): Promise<Uint8Array> {
  let settle!: { resolve(value: Uint8Array): void; reject(err: unknown): void };
  const response = new Promise<Uint8Array>((resolve, reject) => (settle = { resolve, reject }));
  const call = backend.streams.makeClientStreamRequest("/wrenn.api.v1.BuildService/CreateBuild", serializeBytes, deserializeBytes, metadata, {}, (err, value) =>
    err || !value ? settle.reject(err ?? new Error("no response")) : settle.resolve(value),
  );
  call.on("error", () => undefined);
  const cancel = () => call.cancel();
  signal.addEventListener("abort", cancel, { once: true });
  let answered = false;
  void response.then(() => (answered = true), () => (answered = true));
  const write = (message: CreateBuildRequest) =>
    new Promise<void>((resolve, reject) => call.write(CreateBuildRequest.encode(message).finish(), (err: Error | null | undefined) => (err ? reject(err) : resolve())));
  try {
    await write({ spec });
    if (archive) {
      for await (const piece of archive) {
        for (let at = 0; at < piece.length && !answered; at += chunkBytes) await write({ archiveChunk: piece.subarray(at, at + chunkBytes) });
        // A refusal (bad spec, no build host) answers before the archive is read: stop sending.
        if (answered) break;
      }
    }
    call.end();
    return await response;
  } catch (err) {
    // A write failed because the call ended: its answer is the reason.
    if (answered) return response;
    call.cancel();
    throw err;
  } finally {
    signal.removeEventListener("abort", cancel);
  }
}
