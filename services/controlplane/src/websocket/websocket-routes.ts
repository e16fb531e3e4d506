import type { IncomingMessage } from "node:http";
import { credentials } from "@grpc/grpc-js";
import { createChannel, createClient } from "nice-grpc";
import { WebSocketServer, type WebSocket } from "ws";
import { errors, type Logger } from "@wrenn/shared";
import { ProcessServiceDefinition } from "@wrenn/gen/wrenn/api/v1/process.js";
import type { HttpRequestInfo, RawHttpRoute, RawRouteRequest } from "../gateway/index.js";
import { clientAddress } from "../gateway/grpc-backend.js";
import type { RequestAttributes } from "../request-attributes.js";
import { bridgeCredential } from "./bridge-credential.js";
import { runBridge, type OpenedProcess } from "./bridge.js";
import { openPty, openStream, type OpenContext } from "./open-process.js";
import { closeCodes } from "./protocol.js";
import { answerPlainGet, checkHandshake, ptyOperation, streamOperation } from "./route-docs.js";

export interface WebSocketRoutesOptions {
  /** The controlplane's own gRPC port ("host:port"): the bridge calls the public API there with the caller's credential. */
  grpcTarget: string;
  authorize(request: HttpRequestInfo): Promise<RequestAttributes>;
  logger: Logger;
  /** WRENN_PUBLIC_URL: a cookie-authenticated page may come from its origin as well as from the request's Host. */
  publicUrl?: string;
  /** Unsent output to one client past which the process's stream is no longer pulled (default 1 MiB). */
  highWaterBytes?: number;
}

export interface WebSocketRoutes {
  routes: RawHttpRoute[];
  /** Closes every open bridge (close code 1001) and the gRPC channel. */
  close(): Promise<void>;
}

/**
 * The WebSocket bridges (protocol.ts): a terminal and a process's output
 * stream, each a client of the public gRPC API over a channel of its own
 * (so tenancy, limits and audit are the RPCs'), with the caller's credential.
 */
export function createWebSocketRoutes(options: WebSocketRoutesOptions): WebSocketRoutes {
  const { logger, authorize, publicUrl } = options;
  const highWaterBytes = options.highWaterBytes ?? 1024 * 1024;
  // Its own connection, never the gateway's: a chatty terminal must not slow transcoded calls.
  const channel = createChannel(options.grpcTarget, credentials.createInsecure(), { "grpc.use_local_subchannel_pool": 1, "grpc.max_receive_message_length": 16 * 1024 * 1024 });
  const client = createClient(ProcessServiceDefinition, channel);
  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });
  const open = new Set<WebSocket>();
  let closing = false;

  async function authenticated(req: IncomingMessage, request: RawRouteRequest) {
    const params = new URLSearchParams(request.query);
    const credential = bridgeCredential(req, params, publicUrl);
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    await authorize({ path, httpMethod: "GET", metadata: credential.metadata, peer: clientAddress(req) });
    return { params, metadata: credential.metadata };
  }

  function route(path: string, openapi: Record<string, unknown>, start: (ctx: OpenContext, params: URLSearchParams, request: RawRouteRequest) => Promise<OpenedProcess>): RawHttpRoute {
    return {
      httpMethod: "GET",
      path,
      openapi,
      async handle(req, res, request) {
        await authenticated(req, request);
        answerPlainGet(res);
      },
      async upgrade(req, socket, head, request) {
        if (closing) throw errors.unavailable("the controlplane is shutting down");
        checkHandshake(req);
        const { params, metadata } = await authenticated(req, request);
        const abort = new AbortController();
        const leave = () => abort.abort();
        request.signal.addEventListener("abort", leave, { once: true });
        const ctx: OpenContext = { client, sandboxId: request.pathVars.get("sandbox_id") ?? "", metadata, signal: abort.signal };
        let opened: OpenedProcess;
        try {
          opened = await start(ctx, params, request);
        } catch (err) {
          abort.abort();
          throw err;
        }
        if (!socket.writable || closing) {
          abort.abort();
          socket.destroy();
          // A terminal nobody will ever see: not left running for envd's idle timeout.
          if (opened.created) await client.killProcess({ sandboxId: ctx.sandboxId, selector: String(opened.pid) }, { metadata }).catch(() => undefined);
          return;
        }
        wss.handleUpgrade(req, socket, head, (ws) => {
          open.add(ws);
          ws.once("close", () => open.delete(ws));
          ws.on("error", (err) => logger.debug({ err }, "websocket error"));
          runBridge({ ws, opened, sandboxId: ctx.sandboxId, client, metadata, abort, highWaterBytes, logger }).catch((err: unknown) => {
            logger.error({ err }, "bridge failed");
            ws.terminate();
          });
        });
      },
    };
  }

  return {
    routes: [
      route("/v1/sandboxes/{sandbox_id}/pty", ptyOperation, (ctx, params) => openPty(ctx, params)),
      route("/v1/sandboxes/{sandbox_id}/processes/{selector}/stream", streamOperation, (ctx, _params, request) => openStream(ctx, request.pathVars.get("selector") ?? "")),
    ],
    async close() {
      closing = true;
      await Promise.all([...open].map((ws) => closeGoingAway(ws)));
      wss.close();
      channel.close();
    },
  };
}

/** 1001 to the client; a client that does not answer the close is cut after a second. */
function closeGoingAway(ws: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    if (ws.readyState === ws.CLOSED) return resolve();
    const cut = setTimeout(() => ws.terminate(), 1_000);
    ws.once("close", () => {
      clearTimeout(cut);
      resolve();
    });
    ws.close(closeCodes.goingAway, "the controlplane is shutting down");
  });
}
