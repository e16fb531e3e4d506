import type { IncomingMessage } from "node:http";
import { pipeline } from "node:stream/promises";
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { Status } from "nice-grpc-common";
import { GatewayError, gatewayErrors } from "../gateway/gateway-error.js";

/**
 * One WriteFile message's worth of data: what a socket read brings (so
 * frames pass through uncopied) and envd's own read chunk. Far under the
 * message limits (envd 8 MiB, agent and controlplane 16 MiB), and small
 * because each relay on the way (controlplane → agent → envd) may queue up
 * to 16 messages of a client stream: 1 MiB per hop rather than 16.
 */
export const frameBytes = 64 * 1024;

/**
 * The request body, inflated while it streams when it says
 * `Content-Encoding: gzip`. A broken gzip body is the caller's fault (400).
 */
export function requestBody(req: IncomingMessage): Readable {
  const encoding = String(req.headers["content-encoding"] ?? "identity").trim().toLowerCase();
  if (encoding === "identity" || encoding === "") return req;
  if (encoding !== "gzip" && encoding !== "x-gzip") {
    throw new GatewayError(Status.INVALID_ARGUMENT, `Content-Encoding ${JSON.stringify(encoding.slice(0, 32))} is not supported (gzip or none)`, 415);
  }
  const gunzip = createGunzip();
  // Errors surface through whoever reads the inflated stream; a cut request must not throw here.
  pipeline(req, gunzip).catch(() => undefined);
  return gunzip;
}

/** A zlib failure while reading the body, as the caller should see it. */
export function bodyError(err: unknown): unknown {
  if (err && typeof err === "object" && "code" in err && typeof err.code === "string" && err.code.startsWith("Z_")) {
    return gatewayErrors.invalidArgument("the body is not valid gzip");
  }
  return err;
}

/**
 * Regroups a byte stream into frames of `frameBytes` (the last one shorter).
 * The source is pulled only as fast as frames are taken, so at most one
 * frame plus one source chunk is held. The source is not destroyed when
 * the consumer stops early: the connection must live to carry the error answer.
 */
export async function* frames(source: Readable): AsyncGenerator<Buffer> {
  let held: Buffer[] = [];
  let heldBytes = 0;
  try {
    for await (const chunk of source.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      held.push(chunk);
      heldBytes += chunk.length;
      while (heldBytes >= frameBytes) {
        const all = held.length === 1 ? held[0]! : Buffer.concat(held, heldBytes);
        yield all.subarray(0, frameBytes);
        const rest = all.subarray(frameBytes);
        held = rest.length > 0 ? [rest] : [];
        heldBytes = rest.length;
      }
    }
  } catch (err) {
    throw bodyError(err);
  }
  if (heldBytes > 0) yield Buffer.concat(held, heldBytes);
}
