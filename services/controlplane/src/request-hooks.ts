import type { ServerMiddleware } from "nice-grpc";
import type { HookedRequest, RequestAttributes, RequestHook } from "./extensions.js";

/**
 * Runs the hooks in order, each seeing what the ones before it attached; the
 * first to throw refuses the request with its status. The result is frozen:
 * a handler reads the attributes, it does not change them for the next one.
 */
export async function runRequestHooks(hooks: RequestHook[], request: Omit<HookedRequest, "attributes">): Promise<RequestAttributes> {
  let attributes: RequestAttributes = {};
  for (const hook of hooks) {
    const added = await hook({ ...request, attributes });
    if (added) attributes = Object.freeze({ ...attributes, ...added });
  }
  return Object.freeze(attributes);
}

/**
 * The hooks as a gRPC middleware, inside the error middleware (so a refusal
 * is answered with the hook's status, and a hook's bug is INTERNAL with a
 * reference), outside the refusal of undecodable requests (createGrpcServer's
 * `beforeDecoding`), and around every public and extension service. gRPC
 * health and reflection are added by createGrpcServer without it: they stay open.
 */
export function requestHookMiddleware(hooks: RequestHook[]): ServerMiddleware<{ attributes: RequestAttributes }> {
  return async function* runHooks(call, context) {
    const attributes = await runRequestHooks(hooks, { protocol: "grpc", path: call.method.path, metadata: context.metadata, peer: peerAddress(context.peer) });
    return yield* call.next(call.request, { ...context, attributes });
  };
}

/** grpc-js gives the peer as the socket's "address:port" ("::1:5000" for IPv6, no brackets); the address alone. */
function peerAddress(peer: string): string {
  const match = /^\[?(.+?)\]?:\d+$/.exec(peer);
  const address = match ? match[1] : peer;
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}
