import * as grpc from "@grpc/grpc-js";
import { sendJson } from "./gateway-error.js";
import { deserializeBytes, headersFromMetadata, httpCodeFrom, metadataFromHeaders, serializeBytes } from "./grpc-backend.js";
import { decodeMessage } from "./request-builder.js";
import { encodeSingleRequest, type TranscodeContext } from "./transcode-context.js";

interface UnaryResult {
  response: Uint8Array;
  header?: grpc.Metadata;
  trailer?: grpc.Metadata;
}

/** One request message in, one JSON object out; status 200 unless the backend says otherwise. */
export async function transcodeUnary(ctx: TranscodeContext): Promise<void> {
  const request = await encodeSingleRequest(ctx);
  const result = await callUnary(ctx, request);
  if (ctx.signal.aborted) return;
  const json = decodeMessage(ctx.route.output, result.response, ctx.registry);
  const status = httpCodeFrom(result.header, result.trailer) ?? 200;
  sendJson(ctx.res, status, json, headersFromMetadata(result.header));
}

function callUnary(ctx: TranscodeContext, request: Uint8Array): Promise<UnaryResult> {
  return new Promise((resolve, reject) => {
    let header: grpc.Metadata | undefined;
    let trailer: grpc.Metadata | undefined;
    let response: Uint8Array | undefined;
    let error: grpc.ServiceError | undefined;
    let pending = 2; // the callback and the final status, in either order
    const settle = (): void => {
      if (--pending > 0) return;
      ctx.signal.removeEventListener("abort", cancel);
      if (error || response === undefined) reject(error ?? new Error("no response"));
      else resolve({ response, header, trailer });
    };
    const call = ctx.backend.control.makeUnaryRequest(
      ctx.route.grpcPath,
      serializeBytes,
      deserializeBytes,
      request,
      metadataFromHeaders(ctx.req),
      { deadline: Date.now() + ctx.limits.unaryTimeoutMs },
      (err, value) => {
        error = err ?? undefined;
        response = value;
        settle();
      },
    );
    const cancel = (): void => call.cancel();
    ctx.signal.addEventListener("abort", cancel, { once: true });
    call.on("metadata", (md: grpc.Metadata) => {
      header = md;
    });
    call.on("status", (status: grpc.StatusObject) => {
      trailer = status.metadata;
      settle();
    });
  });
}
