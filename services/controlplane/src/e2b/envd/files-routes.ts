import type { IncomingMessage, ServerResponse } from "node:http";
import { Status } from "nice-grpc-common";
import type { Logger } from "@wrenn/shared";
import { createGrpcBackend } from "../../gateway/grpc-backend.js";
import { fileCalls, type FileCalls } from "../../transfer/file-calls.js";
import type { EnvdCaller } from "./envd-calls.js";
import { handleFilesDownload } from "./files-download.js";
import { EnvdRouteError, sendEnvdError } from "./files-errors.js";
import { handleHealth } from "./files-health.js";
import { handleFilesUpload } from "./files-upload.js";

type FilesHandler = (calls: FileCalls, req: IncomingMessage, res: ServerResponse, caller: EnvdCaller, signal: AbortSignal) => Promise<void>;

/**
 * envd's plain-HTTP routes as the E2B SDKs call them: `GET /health`, and
 * `GET` / `POST /files`. Answers false when the request is none of them (the
 * face then answers 404). Transfers are the public FilesystemService's
 * byte-level ReadFile / WriteFile (transfer/), on a channel of their own so
 * a long transfer cannot starve the face's RPCs; they stream end to end.
 */
export function createFilesRoutes(options: { grpcTarget: string; logger?: Logger }) {
  const backend = createGrpcBackend(options.grpcTarget);
  const calls = fileCalls(backend);
  const active = new Set<AbortController>();
  const handlers: Record<string, FilesHandler> = { GET: handleFilesDownload, POST: handleFilesUpload };

  async function transfer(handler: FilesHandler, req: IncomingMessage, res: ServerResponse, caller: EnvdCaller): Promise<void> {
    // Ends with the response (a client that leaves cancels its calls), or at close().
    const own = new AbortController();
    const abort = () => own.abort();
    res.once("close", abort);
    active.add(own);
    try {
      await handler(calls, req, res, caller, own.signal);
    } catch (err) {
      const { status, expected } = sendEnvdError(res, err);
      if (!expected && !own.signal.aborted) options.logger?.warn({ err, status }, "E2B /files failed");
    } finally {
      active.delete(own);
      res.off("close", abort);
      // What the client still sends is not read: let the connection go rather than hang on it.
      if (!req.readableEnded) req.resume();
    }
  }

  return {
    async handle(req: IncomingMessage, res: ServerResponse, caller: EnvdCaller): Promise<boolean> {
      const path = (req.url ?? "/").split("?")[0];
      if (path === "/health" && (req.method === "GET" || req.method === "HEAD")) {
        const own = new AbortController();
        res.once("close", () => own.abort());
        await handleHealth(calls, res, caller, own.signal);
        return true;
      }
      if (path !== "/files") return false;
      const handler = handlers[req.method ?? ""];
      if (!handler) {
        res.setHeader("allow", "GET, POST");
        sendEnvdError(res, new EnvdRouteError(Status.UNIMPLEMENTED, "method not allowed on /files", 405));
        return true;
      }
      await transfer(handler, req, res, caller);
      return true;
    },
    close(): Promise<void> {
      for (const transfer of active) transfer.abort();
      backend.close();
      return Promise.resolve();
    },
  };
}
