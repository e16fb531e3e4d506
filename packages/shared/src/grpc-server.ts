import type { ChannelOptions } from "@grpc/grpc-js";
import { createServer, type Server, type ServerAddBuilder, type ServerMiddleware } from "nice-grpc";
import { isAbortError } from "abort-controller-x";
import { ServerError, Status } from "nice-grpc-common";
import { HealthDefinition, HealthServiceImpl, HealthState } from "nice-grpc-server-health";
import { ServerReflection, ServerReflectionService } from "nice-grpc-server-reflection";
import { descriptorSetBase64 } from "@wrenn/gen/descriptor.js";
import { hasGrpcStatus } from "./errors.js";
import type { Logger } from "./logger.js";
import { maxStatusMessageBytes, safeStatusMessage } from "./safe-text.js";
import { guardAdds, requestDecodingMiddleware } from "./request-decoding.js";
import { hasErrorRef, newErrorRef, serverFaultCodes, statusGuard } from "./status-guard.js";

/**
 * The outermost middleware of every call. Statuses meant for the caller
 * (ServerError, or a peer's ClientError) pass through unchanged; anything
 * else thrown by a handler or an inner middleware becomes INTERNAL for that
 * call only. Every server fault (INTERNAL, UNKNOWN, DATA_LOSS) is logged with
 * its cause and answered with a short reference to that log line.
 */
export function errorMiddleware(logger: Logger): ServerMiddleware {
  return async function* handleErrors(call, context) {
    try {
      return yield* call.next(call.request, context);
    } catch (err) {
      if (isAbortError(err)) throw err;
      const status = err instanceof ServerError ? err : hasGrpcStatus(err) ? new ServerError(err.code, err.details) : undefined;
      if (status && !serverFaultCodes.has(status.code)) throw status;
      const method = call.method.path;
      if (status && hasErrorRef(status.details)) {
        // A peer's fault, already logged there under that reference.
        logger.warn({ method, code: Status[status.code], details: status.details }, "a peer answered with a server fault");
        throw status;
      }
      const ref = newErrorRef();
      logger.error({ err, method, ref }, status ? "server fault in RPC" : "unhandled error in RPC");
      const message = status ? safeStatusMessage(status.details, maxStatusMessageBytes - 20) : "internal error";
      throw new ServerError(status?.code ?? Status.INTERNAL, `${message} (ref ${ref})`);
    }
  };
}

const reflectionV1alpha = {
  serverReflectionInfo: {
    ...ServerReflectionService.serverReflectionInfo,
    path: "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
  },
} as unknown as typeof ServerReflectionService;

export interface GrpcServerOptions<Ext extends object = object> {
  logger: Logger;
  /** Fully-qualified service names offered through server reflection. */
  reflectedServices: string[];
  /** Max message size in bytes, both directions. */
  maxMessageBytes?: number;
  /**
   * Runs on every service added to `server` (not on health or reflection),
   * inside the error middleware (its bug is INTERNAL with a reference) and
   * before undecodable requests are refused: the controlplane's request
   * hooks, so a caller without a credential is UNAUTHENTICATED whatever bytes
   * it sent.
   */
  beforeDecoding?: ServerMiddleware<Ext>;
}

export interface WrennGrpcServer<Ext extends object = object> {
  server: Server<Ext>;
  health: HealthState;
}

/** A nice-grpc server with the status guard, the error middleware, health service and reflection. */
export function createGrpcServer<Ext extends object = object>(options: GrpcServerOptions<Ext>): WrennGrpcServer<Ext> {
  const max = options.maxMessageBytes ?? 16 * 1024 * 1024;
  const server = createServer({
    "grpc.max_receive_message_length": max,
    "grpc.max_send_message_length": max,
    "grpc.keepalive_permit_without_calls": 1,
    // grpc-js server options ride along with the channel options nice-grpc passes to it.
    interceptors: [statusGuard(options.logger)],
  } as ChannelOptions).use(errorMiddleware(options.logger));
  // Bytes that do not decode reach the refusal as a marker, not as grpc-js's INTERNAL.
  guardAdds(server, options.logger);
  const open = server.with(requestDecodingMiddleware());
  const services = (options.beforeDecoding ? server.with(options.beforeDecoding) : server).with(requestDecodingMiddleware()) as ServerAddBuilder<Ext>;
  const health = HealthState();
  open.add(HealthDefinition, HealthServiceImpl(health));
  const reflection = ServerReflection(Buffer.from(descriptorSetBase64, "base64"), [
    ...options.reflectedServices,
    "grpc.health.v1.Health",
  ]);
  open.add(ServerReflectionService, reflection);
  // Many tools (Python's grpcio-reflection, Postman, older grpcurl) still ask
  // v1alpha; its messages are the same on the wire, so serve both paths.
  open.add(reflectionV1alpha, reflection);
  // What callers add goes through `services`; listen and shutdown stay the server's.
  return { server: { ...server, add: services.add, with: services.with } as Server<Ext>, health };
}
