import type * as grpc from "@grpc/grpc-js";
import {
  ReadFileRequest,
  ReadFileResponse,
  StatFileRequest,
  StatFileResponse,
  WriteFileRequest,
} from "@wrenn/gen/wrenn/api/v1/filesystem.js";
import type { EntryInfo } from "@wrenn/gen/wrenn/envd/v1/filesystem.js";
import { deserializeBytes, serializeBytes, type GrpcBackend } from "../gateway/grpc-backend.js";

const service = "/wrenn.api.v1.FilesystemService";

/** Where a transfer reads or writes: the RPCs' own fields. */
export interface FileTarget {
  sandboxId: string;
  path: string;
  user?: string;
}

/**
 * One WriteFile call, fed a frame at a time. `send` resolves once grpc-js
 * has handed the frame to HTTP/2 (which only takes it within the stream's
 * flow-control window), so a caller that awaits it holds one frame at most.
 */
export interface FileWrite {
  send(data: Buffer): Promise<void>;
  /** Ends the stream; the response message, encoded. */
  finish(): Promise<Uint8Array>;
  cancel(): void;
}

/**
 * The public FilesystemService called byte-level over the routes' own
 * channel, with the HTTP caller's credential as metadata: the RPCs decide
 * tenancy, CSRF and audit exactly as for a gRPC client.
 */
export function fileCalls(backend: GrpcBackend) {
  return {
    stat(target: FileTarget, metadata: grpc.Metadata, signal: AbortSignal): Promise<EntryInfo | undefined> {
      return new Promise((resolve, reject) => {
        const call = backend.control.makeUnaryRequest(
          `${service}/StatFile`,
          serializeBytes,
          deserializeBytes,
          StatFileRequest.encode(target).finish(),
          metadata,
          {},
          (err, value) => (err || !value ? reject(err ?? new Error("no response")) : resolve(StatFileResponse.decode(value).entry)),
        );
        signal.addEventListener("abort", () => call.cancel(), { once: true });
      });
    },

    /** ReadFile's chunks as they arrive; iterating slower pauses the stream (grpc-js stops reading HTTP/2). */
    read(target: FileTarget, metadata: grpc.Metadata, signal: AbortSignal): { chunks: AsyncIterable<Uint8Array>; cancel(): void } {
      const call = backend.streams.makeServerStreamRequest(`${service}/ReadFile`, serializeBytes, deserializeBytes, ReadFileRequest.encode(target).finish(), metadata, {});
      const cancel = () => call.cancel();
      signal.addEventListener("abort", cancel, { once: true });
      async function* chunks(): AsyncGenerator<Uint8Array> {
        for await (const message of call as AsyncIterable<Uint8Array>) yield ReadFileResponse.decode(message).data;
      }
      return { chunks: chunks(), cancel };
    },

    /** Opens WriteFile with a first message naming the target, so the server resolves the sandbox before any data. */
    write(target: FileTarget, metadata: grpc.Metadata): FileWrite {
      let settle!: { resolve(value: Uint8Array): void; reject(err: unknown): void };
      const response = new Promise<Uint8Array>((resolve, reject) => (settle = { resolve, reject }));
      const call = backend.streams.makeClientStreamRequest(`${service}/WriteFile`, serializeBytes, deserializeBytes, metadata, {}, (err, value) =>
        err || !value ? settle.reject(err ?? new Error("no response")) : settle.resolve(value),
      );
      // Failures arrive through the callback; this keeps write errors from throwing.
      call.on("error", () => undefined);
      // The frame being written; a call that ends first (it failed, or answered
      // too early) rejects it with its own answer. One waiter at a time, so a
      // long upload accumulates nothing.
      let waiter: { resolve(): void; reject(err: unknown): void } | undefined;
      let ended: unknown;
      void response.then(
        () => (ended = new Error("WriteFile answered before the upload ended")),
        (err: unknown) => (ended = err),
      ).finally(() => waiter?.reject(ended));
      let inFlight: Promise<void> = Promise.resolve();
      const frame = (message: WriteFileRequest) => {
        inFlight = new Promise<void>((resolve, reject) => {
          waiter = { resolve, reject };
          call.write(WriteFileRequest.encode(message).finish(), (err: Error | null | undefined) => (err ? reject(err) : resolve()));
        });
        inFlight.catch(() => undefined);
      };
      const settled = async () => {
        if (ended !== undefined) throw ended;
        await inFlight;
      };
      frame({ sandboxId: target.sandboxId, path: target.path, user: target.user, data: Buffer.alloc(0) });
      return {
        async send(data) {
          await settled();
          frame({ sandboxId: "", path: "", data });
        },
        async finish() {
          await settled();
          call.end();
          return response;
        },
        cancel: () => call.cancel(),
      };
    },
  };
}

export type FileCalls = ReturnType<typeof fileCalls>;
