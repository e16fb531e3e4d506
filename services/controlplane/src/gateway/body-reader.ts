import type { IncomingMessage } from "node:http";
import type { JsonValue } from "@bufbuild/protobuf";
import { Status } from "nice-grpc-common";
import { GatewayError, gatewayErrors } from "./gateway-error.js";

/**
 * Reads a whole (unary) request body with a size cap and a time cap, so a
 * client trickling bytes cannot hold a handler forever.
 */
export async function readBody(req: IncomingMessage, maxBytes: number, timeoutMs: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  const timer = setTimeout(() => {
    req.destroy(new GatewayError(Status.DEADLINE_EXCEEDED, "request body not received in time", 408));
  }, timeoutMs);
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of bodyChunks(req)) {
      total += chunk.length;
      if (total > maxBytes) throw tooLarge(maxBytes);
      chunks.push(chunk);
    }
  } finally {
    clearTimeout(timer);
  }
  return Buffer.concat(chunks, total);
}

/** A JSON body, or undefined for an empty one. Malformed JSON is INVALID_ARGUMENT. */
export function parseJsonBody(body: Buffer): JsonValue | undefined {
  const text = body.toString("utf8");
  if (text.trim() === "") return undefined;
  return parseJson(text, "request body");
}

export function parseJson(text: string, what: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch (err) {
    throw gatewayErrors.invalidArgument(`malformed JSON in ${what}: ${(err as Error).message}`);
  }
}

/**
 * Yields the lines of an NDJSON body as they arrive, holding at most one
 * partial line (capped at maxLineBytes) — the body is never buffered whole.
 * Blank lines are skipped; a trailing "\r" is dropped.
 */
export async function* readLines(req: IncomingMessage, maxLineBytes: number): AsyncGenerator<string> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const emit = (line: Buffer): string | undefined => {
    const text = line.toString("utf8").replace(/\r$/, "");
    return text.trim() === "" ? undefined : text;
  };
  for await (const chunk of bodyChunks(req)) {
    let start = 0;
    for (let nl = chunk.indexOf(0x0a, start); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      const piece = chunk.subarray(start, nl);
      const line = pendingBytes > 0 ? Buffer.concat([...pending, piece]) : piece;
      pending = [];
      pendingBytes = 0;
      start = nl + 1;
      if (line.length > maxLineBytes) throw tooLarge(maxLineBytes, "an NDJSON line");
      const text = emit(line);
      if (text !== undefined) yield text;
    }
    if (start < chunk.length) {
      pending.push(chunk.subarray(start));
      pendingBytes += chunk.length - start;
      if (pendingBytes > maxLineBytes) throw tooLarge(maxLineBytes, "an NDJSON line");
    }
  }
  if (pendingBytes > 0) {
    const text = emit(Buffer.concat(pending));
    if (text !== undefined) yield text;
  }
}

function tooLarge(maxBytes: number, what = "request body"): GatewayError {
  return gatewayErrors.tooLarge(`${what} exceeds ${maxBytes} bytes`);
}

/**
 * Leaving the loop early (too large, bad line) must not destroy the request:
 * that would reset the socket before the error response is written.
 */
function bodyChunks(req: IncomingMessage): AsyncIterable<Buffer> {
  return req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>;
}
