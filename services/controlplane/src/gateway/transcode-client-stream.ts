import * as grpc from "@grpc/grpc-js";
import { sendJson } from "./gateway-error.js";
import { readLines, parseJson } from "./body-reader.js";
import { deserializeBytes, headersFromMetadata, httpCodeFrom, metadataFromHeaders, serializeBytes } from "./grpc-backend.js";
import { buildRequestJson, decodeMessage, encodeMessage } from "./request-builder.js";
import type { TranscodeContext } from "./transcode-context.js";

interface CallOutcome {
  response: Uint8Array;
  header?: grpc.Metadata;
}

/**
 * Client streaming ← NDJSON body: each line is one request message (or the
 * body field of one), sent into the call as soon as it is read. Path
 * variables fill every message. An empty body sends one message made of the
 * path variables alone.
 */
export async function transcodeClientStream(ctx: TranscodeContext): Promise<void> {
  const { route } = ctx;
  let header: grpc.Metadata | undefined;
  let settleOutcome!: { resolve: (o: CallOutcome) => void; reject: (e: unknown) => void };
  const outcome = new Promise<CallOutcome>((resolve, reject) => {
    settleOutcome = { resolve, reject };
  });
  // The call may fail while we are still reading the body; keep that from
  // becoming an unhandled rejection until we await it below.
  outcome.catch(() => undefined);

  const call = ctx.backend.streams.makeClientStreamRequest(
    route.grpcPath,
    serializeBytes,
    deserializeBytes,
    metadataFromHeaders(ctx.req),
    {},
    (err, value) => {
      if (err || value === undefined) settleOutcome.reject(err ?? new Error("no response"));
      else settleOutcome.resolve({ response: value, header });
    },
  );
  call.on("metadata", (md: grpc.Metadata) => {
    header = md;
  });
  // Write errors also arrive through the callback; this listener keeps them from throwing.
  call.on("error", () => undefined);
  const cancel = (): void => call.cancel();
  ctx.signal.addEventListener("abort", cancel, { once: true });

  let finished = false;
  let callFailed = false;
  const failed = outcome.then(
    () => false,
    () => (callFailed = true),
  );
  try {
    let count = 0;
    const encodeLine = (body: unknown): Uint8Array => {
      const json = buildRequestJson(route, { pathVars: ctx.pathVars, query: ctx.query, body: body as never });
      return encodeMessage(route.input, json, ctx.registry);
    };
    for await (const line of readLines(ctx.req, ctx.limits.maxBodyBytes)) {
      if (callFailed) break; // the backend already answered; its status is the response
      count++;
      const message = encodeLine(parseJson(line, `line ${count} of the NDJSON body`));
      if (!call.write(message)) {
        // Wait for grpc-js to take more, or stop early if the call already failed.
        const stop = await Promise.race([once(call, "drain").then(() => false), failed]);
        if (stop) break;
      }
    }
    if (count === 0) call.write(encodeLine(undefined));
    call.end();
    finished = true;
    const result = await outcome;
    if (ctx.signal.aborted) return;
    const json = decodeMessage(route.output, result.response, ctx.registry);
    sendJson(ctx.res, httpCodeFrom(result.header) ?? 200, json, headersFromMetadata(result.header));
  } catch (err) {
    if (!finished) call.cancel();
    throw err;
  } finally {
    ctx.signal.removeEventListener("abort", cancel);
  }
}

function once(emitter: grpc.ClientWritableStream<Uint8Array>, event: string): Promise<void> {
  return new Promise((resolve) => emitter.once(event, () => resolve()));
}
