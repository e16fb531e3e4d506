import type { IncomingMessage, ServerResponse } from "node:http";
import type { EnvdCaller } from "./envd-calls.js";

/**
 * envd's plain-HTTP routes as the E2B SDKs call them: `GET /health`, and
 * `GET` / `POST /files`. Answers false when the request is none of them (the
 * face then answers 404). Placeholder: only /health so far.
 */
export function createFilesRoutes(_options: { grpcTarget: string }) {
  return {
    async handle(req: IncomingMessage, res: ServerResponse, _caller: EnvdCaller): Promise<boolean> {
      const path = (req.url ?? "/").split("?")[0];
      if (path === "/health" && (req.method === "GET" || req.method === "HEAD")) {
        res.writeHead(204).end();
        return true;
      }
      return false;
    },
    close(): Promise<void> {
      return Promise.resolve();
    },
  };
}
