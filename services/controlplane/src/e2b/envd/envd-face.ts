import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { createContextValues, type ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { credentials } from "@grpc/grpc-js";
import { createChannel, createClient } from "nice-grpc";
import { Filesystem } from "@wrenn/gen/e2b/filesystem/filesystem_pb.js";
import { Process } from "@wrenn/gen/e2b/process/process_pb.js";
import { FilesystemServiceDefinition } from "@wrenn/gen/wrenn/api/v1/filesystem.js";
import { ProcessServiceDefinition } from "@wrenn/gen/wrenn/api/v1/process.js";
import { canonicalWireId, type Logger } from "@wrenn/shared";
import type { FrontHandler } from "../../gateway/index.js";
import { basicAuthUser, callerMetadata, envdCallerKey, type EnvdCaller, type PublicEnvdClients } from "./envd-calls.js";
import { envdGzip, envdReadMaxBytes } from "./envd-compression.js";
import { createFilesRoutes } from "./files-routes.js";
import { filesystemService } from "./filesystem-service.js";
import { processService } from "./process-service.js";

/** envd's port in an E2B sandbox: the SDKs address `49983-<id>.<domain>`, or send it as E2b-Sandbox-Port. */
export const envdPort = 49983;

export interface EnvdFaceOptions {
  /** The controlplane's own gRPC port: every call is a public API call there. */
  grpcTarget: string;
  /** The port proxy's domain: `49983-<sandbox>.<domain>` is this face, other ports the proxy. */
  domain: string;
  logger: Logger;
}

/**
 * The in-sandbox half of the E2B-compatible face: what the SDKs send to envd
 * at the address they compute. The controlplane takes those requests in
 * front of every route, by the `E2b-Sandbox-Id` header (the one-base-URL
 * form, E2B_SANDBOX_URL) or by the host name `49983-<id>.<domain>`, and
 * serves them with Connect (`process.Process`, `filesystem.Filesystem`) and
 * envd's plain routes (`/files`, `/health`). Each call becomes a public API
 * call with the SDK's X-Access-Token as the sandbox-scoped credential.
 */
export function createEnvdFace(options: EnvdFaceOptions): { front: FrontHandler; close(): Promise<void> } {
  const channel = createChannel(options.grpcTarget, credentials.createInsecure(), {
    "grpc.use_local_subchannel_pool": 1,
    "grpc.max_receive_message_length": 16 * 1024 * 1024,
  });
  const clients: PublicEnvdClients = {
    process: createClient(ProcessServiceDefinition, channel),
    filesystem: createClient(FilesystemServiceDefinition, channel),
  };
  const files = createFilesRoutes({ grpcTarget: options.grpcTarget });
  const suffix = `.${options.domain.toLowerCase()}`;

  /** The sandbox a request names: the E2b-Sandbox-Id header, else a `49983-<id>` host label. */
  function sandboxNamed(req: IncomingMessage): string | undefined {
    const header = req.headers["e2b-sandbox-id"];
    if (typeof header === "string" && header !== "") return header;
    const host = (req.headers.host ?? "").toLowerCase().replace(/:\d*$/, "");
    if (!host.endsWith(suffix)) return undefined;
    const label = host.slice(0, -suffix.length);
    return label.startsWith(`${envdPort}-`) && !label.includes(".") ? label.slice(`${envdPort}-`.length) : undefined;
  }

  function callerOf(req: IncomingMessage): EnvdCaller {
    const named = sandboxNamed(req) ?? "";
    // Either form of the id, as the public API's "sb-…"; anything else goes through for the API to refuse.
    return { sandboxId: canonicalWireId("sb", named) ?? named.toLowerCase(), metadata: callerMetadata(req), user: basicAuthUser(req) };
  }

  const handler = connectNodeAdapter({
    routes(router: ConnectRouter) {
      router.service(Process, processService(clients));
      router.service(Filesystem, filesystemService(clients));
    },
    // A bounded read and gzip whose failures are the client's (envd-compression.ts); no brotli: the SDKs never send it.
    readMaxBytes: envdReadMaxBytes,
    acceptCompression: [envdGzip],
    contextValues: (req) => createContextValues().set(envdCallerKey, callerOf(req as IncomingMessage)),
    fallback(req, res) {
      const plain = req as IncomingMessage;
      const response = res as ServerResponse;
      files.handle(plain, response, callerOf(plain)).then(
        (handled) => {
          if (!handled) sendJsonError(response, 404, "not found");
        },
        (err: unknown) => {
          options.logger.warn({ err }, "E2B envd route failed");
          if (!response.headersSent) sendJsonError(response, 500, "internal error");
          else response.destroy();
        },
      );
    },
  });

  return {
    front: {
      name: "e2b-envd",
      claims: (req) => sandboxNamed(req) !== undefined,
      handle: (req: IncomingMessage, res: ServerResponse) =>
        new Promise<void>((resolve) => {
          res.once("close", () => resolve());
          handler(req, res);
        }),
      upgrade(_req: IncomingMessage, socket: Duplex): Promise<void> {
        socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
        return Promise.resolve();
      },
    },
    async close() {
      channel.close();
      await files.close();
    },
  };
}

/** envd's REST error body, `{code, message}`. */
export function sendJsonError(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ code: status, message });
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) }).end(body);
}
