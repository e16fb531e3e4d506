import type * as grpc from "@grpc/grpc-js";
import { errorBody, resolveError } from "./gateway-error.js";
import { deserializeBytes, headersFromMetadata, httpCodeFrom, metadataFromHeaders, serializeBytes } from "./grpc-backend.js";
import { decodeMessage } from "./request-builder.js";
import { drainOrClose, encodeSingleRequest, ndjsonHeaders, type TranscodeContext } from "./transcode-context.js";

/**
 * Server streaming → NDJSON, one message a line, written as it arrives.
 *
 * Back-pressure: messages are pulled from the call one at a time and the next
 * is not pulled while the socket's buffer is full, so grpc-js stops reading
 * and HTTP/2 flow control slows the backend down.
 *
 * Headers go out when the backend sends its response headers (or the first
 * message); an error before that is an ordinary JSON error with its HTTP
 * status, an error after it is a final `{"error":{…}}` line.
 */
export async function transcodeServerStream(ctx: TranscodeContext): Promise<void> {
  const { res, route } = ctx;
  const request = await encodeSingleRequest(ctx);
  // No deadline: streams run as long as the caller stays.
  const call = ctx.backend.streams.makeServerStreamRequest(
    route.grpcPath,
    serializeBytes,
    deserializeBytes,
    request,
    metadataFromHeaders(ctx.req),
    {},
  );
  const cancel = (): void => call.cancel();
  ctx.signal.addEventListener("abort", cancel, { once: true });

  const startResponse = (md?: grpc.Metadata): void => {
    if (res.headersSent) return;
    res.writeHead(httpCodeFrom(md) ?? 200, { ...headersFromMetadata(md), ...ndjsonHeaders });
    res.flushHeaders();
  };
  call.on("metadata", startResponse);

  try {
    for await (const chunk of call as AsyncIterable<Uint8Array>) {
      startResponse();
      const line = JSON.stringify(decodeMessage(route.output, chunk, ctx.registry)) + "\n";
      if (!res.write(line)) await drainOrClose(res);
      if (ctx.signal.aborted) return;
    }
    startResponse();
    res.end();
  } catch (err) {
    if (ctx.signal.aborted) return; // the caller left; the cancel is ours
    if (!res.headersSent) throw err; // the gateway answers with a plain error response
    const resolved = resolveError(err);
    if (!resolved.expected) ctx.logger.error({ err, method: route.grpcPath }, "stream failed");
    const { code, message } = errorBody(resolved.code, resolved.message);
    res.end(JSON.stringify({ error: { code, message } }) + "\n");
  } finally {
    ctx.signal.removeEventListener("abort", cancel);
    call.cancel(); // no-op once the call has ended
  }
}
