import type { IncomingMessage, ServerResponse } from "node:http";
import type { Registry } from "@bufbuild/protobuf";
import type { Logger } from "@wrenn/shared";
import { readBody, parseJsonBody } from "./body-reader.js";
import type { GrpcBackend } from "./grpc-backend.js";
import { buildRequestJson, encodeMessage } from "./request-builder.js";
import type { Route } from "./routes.js";

export interface GatewayLimits {
  /** Largest unary (or server-streaming request) body, and largest NDJSON line. */
  maxBodyBytes: number;
  /** Time allowed to receive a unary body. */
  bodyTimeoutMs: number;
  /** Deadline of unary gRPC calls; streams get none. */
  unaryTimeoutMs: number;
}

/** Everything one transcoded request needs. */
export interface TranscodeContext {
  req: IncomingMessage;
  res: ServerResponse;
  route: Route;
  pathVars: Map<string, string>;
  query: string;
  registry: Registry;
  backend: GrpcBackend;
  limits: GatewayLimits;
  /** Aborted when the HTTP client goes away before the response is complete. */
  signal: AbortSignal;
  logger: Logger;
}

/** Reads the body (when the rule binds one) and encodes the single request message. */
export async function encodeSingleRequest(ctx: TranscodeContext): Promise<Uint8Array> {
  const { route, req, limits } = ctx;
  const body = route.body === "" ? undefined : parseJsonBody(await readBody(req, limits.maxBodyBytes, limits.bodyTimeoutMs));
  const json = buildRequestJson(route, { pathVars: ctx.pathVars, query: ctx.query, body });
  return encodeMessage(route.input, json, ctx.registry);
}

export const ndjsonHeaders = {
  "content-type": "application/x-ndjson; charset=utf-8",
  "cache-control": "no-store",
  // Tell buffering reverse proxies (nginx) to pass lines through as they come.
  "x-accel-buffering": "no",
};

/** Resolves when the socket can take more, or when the response is gone. */
export function drainOrClose(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}
