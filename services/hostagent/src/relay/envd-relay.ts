import { once } from "node:events";
import { Metadata as GrpcMetadata, type Client, type ServiceError } from "@grpc/grpc-js";
import type { CallContext, Metadata } from "nice-grpc";
import { ServerError, Status, sandboxIdMetadataKey } from "@wrenn/shared";
import { identity, type RawMethodDefinition, type RawServiceDefinition } from "./relay-definition.js";

/**
 * The envd relay. Calls to wrenn.envd.v1 services carrying
 * `wrenn-sandbox-id` metadata go to that sandbox's envd unchanged.
 *
 * Design: the relay methods are registered on the agent's one nice-grpc
 * server (same port, same error middleware, health and reflection) with
 * identity serializers, so handlers receive and return raw Buffers. Upstream
 * calls use a grpc-js generic Client (one channel per sandbox) with identity
 * serializers too, so message bytes are never decoded. nice-grpc gives each
 * handler an AbortSignal that fires on client cancel and on the caller's
 * deadline (grpc-js ends the call at the deadline), and we cancel the envd
 * call from it; envd's status code and message are passed through as a
 * ServerError. Back-pressure: nice-grpc awaits 'drain' between downstream
 * writes and we pull the upstream stream one message at a time (for-await),
 * so grpc-js stops reading from envd while the caller is slow; for request
 * streams we wait for 'drain' on the upstream call before the next message.
 */
/** Finds the envd client for the sandbox named in the metadata, or throws INVALID_ARGUMENT / NOT_FOUND. */
export type EnvdClientResolver = (sandboxId: string | undefined) => Client;

type Handler = (...args: never[]) => unknown;

export function createRelayImplementation(
  definition: RawServiceDefinition,
  resolve: EnvdClientResolver,
): Record<string, Handler> {
  const implementation: Record<string, Handler> = {};
  for (const [key, method] of Object.entries(definition)) {
    implementation[key] = relayHandler(method, resolve) as Handler;
  }
  return implementation;
}

function relayHandler(method: RawMethodDefinition, resolve: EnvdClientResolver) {
  const clientFor = (context: CallContext) => resolve(context.metadata.get(sandboxIdMetadataKey));
  if (!method.requestStream && !method.responseStream) {
    return (request: Buffer, context: CallContext) => relayUnary(method.path, clientFor(context), request, context);
  }
  if (!method.requestStream) {
    return (request: Buffer, context: CallContext) => {
      const client = clientFor(context);
      const call = client.makeServerStreamRequest(method.path, identity, identity, request, toGrpcMetadata(context.metadata));
      return relayResponses(call, context);
    };
  }
  if (!method.responseStream) {
    return (requests: AsyncIterable<Buffer>, context: CallContext) =>
      relayClientStream(method.path, clientFor(context), requests, context);
  }
  return (requests: AsyncIterable<Buffer>, context: CallContext) => {
    const client = clientFor(context);
    const call = client.makeBidiStreamRequest(method.path, identity, identity, toGrpcMetadata(context.metadata));
    const pumping = pumpRequests(requests, call, context.signal);
    pumping.catch(() => call.cancel());
    return relayResponses(call, context);
  };
}

function relayUnary(path: string, client: Client, request: Buffer, context: CallContext): Promise<Buffer> {
  return new Promise<Buffer>((resolvePromise, reject) => {
    const call = client.makeUnaryRequest(path, identity, identity, request, toGrpcMetadata(context.metadata), {}, (err, response) => {
      context.signal.removeEventListener("abort", cancel);
      if (err) reject(toServerError(err));
      else resolvePromise(response ?? Buffer.alloc(0));
    });
    const cancel = () => call.cancel();
    context.signal.addEventListener("abort", cancel, { once: true });
    forwardMetadata(call, context);
  });
}

function relayClientStream(path: string, client: Client, requests: AsyncIterable<Buffer>, context: CallContext): Promise<Buffer> {
  return new Promise<Buffer>((resolvePromise, reject) => {
    const done = new AbortController();
    const call = client.makeClientStreamRequest(path, identity, identity, toGrpcMetadata(context.metadata), {}, (err, response) => {
      done.abort();
      context.signal.removeEventListener("abort", cancel);
      if (err) reject(toServerError(err));
      else resolvePromise(response ?? Buffer.alloc(0));
    });
    const cancel = () => call.cancel();
    context.signal.addEventListener("abort", cancel, { once: true });
    forwardMetadata(call, context);
    // A failed read from the caller cancels the upstream call; the callback
    // then rejects with CANCELLED (or envd's own status if it answered first).
    pumpRequests(requests, call, AbortSignal.any([context.signal, done.signal])).catch(() => call.cancel());
  });
}

interface WritableCall {
  write(chunk: Buffer): boolean;
  end(): void;
  on(event: "drain", listener: () => void): unknown;
}

/** Copies the caller's request stream upstream, one message at a time, honouring 'drain'. */
async function pumpRequests(requests: AsyncIterable<Buffer>, call: WritableCall, signal: AbortSignal): Promise<void> {
  for await (const chunk of requests) {
    if (signal.aborted) return;
    if (!call.write(chunk)) await once(call as unknown as NodeJS.EventEmitter, "drain", { signal });
  }
  call.end();
}

interface ReadableCall extends AsyncIterable<unknown> {
  cancel(): void;
  on(event: string, listener: (...args: never[]) => void): unknown;
}

async function* relayResponses(call: ReadableCall, context: CallContext): AsyncGenerator<Buffer, void> {
  const cancel = () => call.cancel();
  context.signal.addEventListener("abort", cancel, { once: true });
  // A late error (e.g. CANCELLED after we stopped reading) must not become an unhandled 'error' event.
  call.on("error", () => {});
  forwardMetadata(call, context);
  let finished = false;
  try {
    for await (const chunk of call) yield chunk as Buffer;
    finished = true;
  } catch (err) {
    finished = true;
    throw toServerError(err);
  } finally {
    context.signal.removeEventListener("abort", cancel);
    if (!finished) call.cancel();
  }
}

/** envd's response headers and trailers reach the caller too. */
function forwardMetadata(call: NodeJS.EventEmitter | { on(event: string, listener: (...args: never[]) => void): unknown }, context: CallContext) {
  const emitter = call as NodeJS.EventEmitter;
  emitter.on("metadata", (metadata: GrpcMetadata) => copyInto(metadata, context.header));
  emitter.on("status", (status: { metadata?: GrpcMetadata }) => {
    if (status.metadata) copyInto(status.metadata, context.trailer);
  });
}

function copyInto(from: GrpcMetadata, to: Metadata): void {
  for (const [key, values] of Object.entries(from.toJSON())) {
    if (key.startsWith("grpc-") || key === "content-type") continue;
    for (const value of values) {
      if (key.endsWith("-bin")) to.append(key, value as Buffer);
      else to.append(key, String(value));
    }
  }
}

/** Headers that belong to this hop and must not be forwarded. */
const hopHeaders = new Set(["user-agent", "content-type", "te", "host"]);

function toGrpcMetadata(metadata: Metadata): GrpcMetadata {
  const out = new GrpcMetadata();
  for (const [key, values] of metadata) {
    if (hopHeaders.has(key) || key.startsWith("grpc-") || key.startsWith(":")) continue;
    for (const value of values) {
      if (key.endsWith("-bin")) out.add(key, Buffer.from(value as Uint8Array));
      else out.add(key, value as string);
    }
  }
  return out;
}

/**
 * Statuses grpc-js makes up itself when the stream or the connection to envd
 * broke (a sandbox stopping mid-call resets its streams with NO_ERROR): the
 * transport's words, not envd's answer.
 */
const transportFailure = /Received RST_STREAM|Call ended without gRPC status|Connection dropped|ECONNRESET|ECONNREFUSED|No connection established|Failed to connect/i;

/** envd's status passes through unchanged; anything without a status is UNAVAILABLE (envd unreachable). */
function toServerError(err: unknown): ServerError {
  if (err instanceof ServerError) return err;
  const status = err as Partial<ServiceError>;
  if (typeof status.code === "number" && status.code in Status) {
    const code = status.code as Status;
    if ((code === Status.INTERNAL || code === Status.UNAVAILABLE) && transportFailure.test(status.details ?? "")) {
      return new ServerError(Status.UNAVAILABLE, "sandbox envd connection lost during the call");
    }
    return new ServerError(code, status.details ?? "");
  }
  return new ServerError(Status.UNAVAILABLE, "sandbox envd unreachable");
}
