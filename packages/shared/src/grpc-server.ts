import { createServer, type Server, type ServerMiddleware } from "nice-grpc";
import { isAbortError } from "abort-controller-x";
import { ServerError, Status } from "nice-grpc-common";
import { HealthDefinition, HealthServiceImpl, HealthState } from "nice-grpc-server-health";
import { ServerReflection, ServerReflectionService } from "nice-grpc-server-reflection";
import { descriptorSetBase64 } from "@wrenn/gen/descriptor.js";
import { hasGrpcStatus } from "./errors.js";
import type { Logger } from "./logger.js";

/**
 * Lets typed errors (ServerError, or a peer's ClientError status) through
 * unchanged; anything else is logged with its cause and becomes INTERNAL.
 */
export function errorMiddleware(logger: Logger): ServerMiddleware {
  return async function* handleErrors(call, context) {
    try {
      return yield* call.next(call.request, context);
    } catch (err) {
      if (err instanceof ServerError || isAbortError(err)) throw err;
      if (hasGrpcStatus(err)) throw new ServerError(err.code, err.details);
      logger.error({ err, method: call.method.path }, "unhandled error in RPC");
      throw new ServerError(Status.INTERNAL, "internal error");
    }
  };
}

const reflectionV1alpha = {
  serverReflectionInfo: {
    ...ServerReflectionService.serverReflectionInfo,
    path: "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
  },
} as unknown as typeof ServerReflectionService;

export interface GrpcServerOptions {
  logger: Logger;
  /** Fully-qualified service names offered through server reflection. */
  reflectedServices: string[];
  /** Max message size in bytes, both directions. */
  maxMessageBytes?: number;
}

export interface WrennGrpcServer {
  server: Server;
  health: HealthState;
}

/** A nice-grpc server with the error middleware, health service and reflection. */
export function createGrpcServer(options: GrpcServerOptions): WrennGrpcServer {
  const max = options.maxMessageBytes ?? 16 * 1024 * 1024;
  const server = createServer({
    "grpc.max_receive_message_length": max,
    "grpc.max_send_message_length": max,
    "grpc.keepalive_permit_without_calls": 1,
  }).use(errorMiddleware(options.logger));
  const health = HealthState();
  server.add(HealthDefinition, HealthServiceImpl(health));
  const reflection = ServerReflection(Buffer.from(descriptorSetBase64, "base64"), [
    ...options.reflectedServices,
    "grpc.health.v1.Health",
  ]);
  server.add(ServerReflectionService, reflection);
  // Many tools (Python's grpcio-reflection, Postman, older grpcurl) still ask
  // v1alpha; its messages are the same on the wire, so serve both paths.
  server.add(reflectionV1alpha, reflection);
  return { server, health };
}
