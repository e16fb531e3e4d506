/**
 * gRPC metadata keys that cross a service boundary. Both ends of each call
 * import them from here so a rename cannot leave one side behind.
 */

/** Names the sandbox a relayed envd call is meant for (controlplane → host agent). */
export const sandboxIdMetadataKey = "wrenn-sandbox-id";

/** Carries envd's access token (host agent → envd); callers of the relay never see it. */
export const accessTokenMetadataKey = "x-access-token";

/** Response header the HTTP gateway turns into the HTTP status of a success (e.g. "202"). */
export const httpCodeMetadataKey = "x-http-code";
