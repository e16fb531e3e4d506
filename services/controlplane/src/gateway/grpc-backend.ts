import * as grpc from "@grpc/grpc-js";
import type { IncomingMessage } from "node:http";
import { errors, httpCodeMetadataKey } from "@wrenn/shared";
import { gatewayErrors } from "./gateway-error.js";

/**
 * Generic (descriptor-free) gRPC calls over long-lived channels. Messages
 * cross this boundary already encoded, so grpc-js only moves bytes.
 *
 * Two channels, never sharing an HTTP/2 connection: one for unary control
 * calls and one for streams, so a long file transfer or a chatty process
 * cannot starve short calls through HTTP/2 flow control (a production lesson).
 */
export interface GrpcBackend {
  control: grpc.Client;
  streams: grpc.Client;
  close(): void;
}

const maxMessageBytes = 16 * 1024 * 1024;

export function createGrpcBackend(target: string): GrpcBackend {
  const options: grpc.ChannelOptions = {
    "grpc.max_receive_message_length": maxMessageBytes,
    "grpc.max_send_message_length": maxMessageBytes,
    // Keep the two channels' connections apart (grpc-js pools subchannels globally).
    "grpc.use_local_subchannel_pool": 1,
  };
  const credentials = grpc.credentials.createInsecure();
  const control = new grpc.Client(target, credentials, options);
  const streams = new grpc.Client(target, credentials, options);
  return {
    control,
    streams,
    close() {
      control.close();
      streams.close();
    },
  };
}

export const serializeBytes = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
export const deserializeBytes = (bytes: Buffer): Uint8Array => bytes;

/** Connection-scoped headers that must never travel on (RFC 9110 §7.6.1). */
const hopByHop = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/**
 * The header that carries the HTTP client's address to the gRPC server
 * (whose own peer is this gateway). Whatever a client sent under this name
 * is dropped; the hook trusts it only from a loopback peer.
 */
export const clientIpHeader = "x-wrenn-client-ip";

/** `authorization`, `cookie` and `x-*` request headers become call metadata, plus the client's address; nothing else does. */
export function metadataFromHeaders(req: IncomingMessage): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const [name, value] of forwardedHeaders(req)) metadata.add(name, value);
  return metadata;
}

/** The request headers that travel as call metadata, by name (lower case); `-bin` values decoded from base64. */
export function forwardedHeaders(req: IncomingMessage): [string, string | Buffer][] {
  const { headers } = req;
  const forwarded: [string, string | Buffer][] = [];
  const named = new Set(
    String(headers.connection ?? "")
      .split(",")
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
  for (const [rawName, rawValue] of Object.entries(headers)) {
    const name = rawName.toLowerCase();
    if (rawValue === undefined || hopByHop.has(name) || named.has(name) || name === clientIpHeader) continue;
    // The session cookie authenticates browser calls (the hook reads it from metadata).
    if (name !== "authorization" && name !== "cookie" && !name.startsWith("x-")) continue;
    for (const value of Array.isArray(rawValue) ? rawValue : [rawValue]) {
      if (name.endsWith("-bin")) forwarded.push([name, Buffer.from(value, "base64")]);
      else {
        const carried = carriable(name, value);
        if (carried !== undefined) forwarded.push([name, carried]);
      }
    }
  }
  forwarded.push([clientIpHeader, clientAddress(req)]);
  return forwarded;
}

/** What gRPC metadata can carry as a text value: printable ASCII and spaces (HTTP also allows tabs and bytes above 0x7e). */
const metadataText = /^[ -~]*$/;

/**
 * A header value as metadata, or undefined to leave it out. Metadata would
 * refuse the value (a 500 for a header the client chose), so: a cookie
 * whose value it cannot carry is dropped from the header (another site on
 * this host may have set it; Wrenn's cookies are ASCII); a credential that
 * holds such characters is no credential of ours (401); any other header, 400.
 */
function carriable(name: string, value: string): string | undefined {
  if (metadataText.test(value)) return value;
  if (name === "cookie") {
    const kept = value.split(";").filter((pair) => metadataText.test(pair));
    return kept.length > 0 ? kept.join(";") : undefined;
  }
  if (name === "authorization" || name === "x-api-key") throw errors.unauthenticated("invalid API key");
  throw gatewayErrors.invalidArgument(`header ${name} holds characters other than printable ASCII`);
}

/** The HTTP peer's address, IPv4-mapped IPv6 written as plain IPv4 ("::ffff:10.0.0.1" → "10.0.0.1"). */
export function clientAddress(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? "";
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}

/** Response metadata a handler uses to pick the HTTP status of a success ("202"). */
export function httpCodeFrom(...sources: (grpc.Metadata | undefined)[]): number | undefined {
  for (const md of sources) {
    const value = md?.get(httpCodeMetadataKey)[0];
    if (value === undefined) continue;
    const code = Number(String(value));
    if (Number.isInteger(code) && code >= 200 && code <= 299) return code;
  }
  return undefined;
}

/** `x-*` response metadata (except x-http-code) as HTTP response headers. */
export function headersFromMetadata(md: grpc.Metadata | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!md) return out;
  for (const [name, value] of Object.entries(md.getMap())) {
    if (!name.startsWith("x-") || name === httpCodeMetadataKey || name.endsWith("-bin")) continue;
    out[name] = String(value);
  }
  return out;
}
