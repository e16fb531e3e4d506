import { Code, ConnectError } from "@connectrpc/connect";
import { ClientError } from "nice-grpc-common";

/**
 * A failed public call as the SDK should see it: the same gRPC code (Connect
 * uses gRPC's numbers) and the public API's own message, so NOT_FOUND becomes
 * the SDK's FileNotFoundError and ALREADY_EXISTS makes makeDir answer false.
 * Anything else is a bug here and says no more than "internal error".
 */
export function toConnectError(err: unknown): ConnectError {
  if (err instanceof ConnectError) return err;
  if (err instanceof ClientError) return new ConnectError(err.details, err.code as number as Code);
  if (err instanceof Error && err.name === "AbortError") return new ConnectError("the call was cancelled", Code.Canceled);
  return new ConnectError("internal error", Code.Internal);
}

/** Runs one public call, its failure as a ConnectError. */
export async function relayed<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toConnectError(err);
  }
}
