import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import { ClientError } from "nice-grpc-common";
import type { CallOptions } from "nice-grpc-common";
import { envdCallerKey, type EnvdCaller } from "./envd-calls.js";

/** The caller the face set on this request; a handler reached without one is a wiring bug, not the client's. */
export function envdCallerOf(context: HandlerContext): EnvdCaller {
  const caller = context.values.get(envdCallerKey);
  if (!caller) throw new ConnectError("no sandbox named by the request", Code.Internal);
  return caller;
}

/** Options for a public API call on behalf of this request: its credential, cancelled with it. */
export function publicCallOptions(caller: EnvdCaller, context: HandlerContext): CallOptions {
  return { metadata: caller.metadata, signal: context.signal };
}

/**
 * The public API's answer as the SDK expects it: a gRPC status becomes a
 * ConnectError with the same code (Connect's codes are gRPC's numbers) and
 * message, so UNAUTHENTICATED reaches the SDK as its AuthenticationError and
 * NOT_FOUND as NotFoundError. When the request itself was cancelled or ran
 * past its deadline, the reason Connect gave wins over the aborted call.
 */
export function toConnectError(err: unknown, context?: HandlerContext): ConnectError {
  if (context?.signal.aborted && context.signal.reason instanceof ConnectError) return context.signal.reason;
  if (err instanceof ConnectError) return err;
  if (err instanceof ClientError) return new ConnectError(err.details, err.code as number as Code);
  return ConnectError.from(err);
}

/** Runs a unary public call, its failure mapped by toConnectError. */
export async function relayUnary<T>(context: HandlerContext, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toConnectError(err, context);
  }
}
