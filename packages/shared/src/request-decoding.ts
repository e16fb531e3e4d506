import type { Server, ServerMiddleware } from "nice-grpc";
import { ServerError, Status } from "nice-grpc-common";
import type { Logger } from "./logger.js";

/**
 * grpc-js answers a request its deserializer throws on with INTERNAL, from
 * below every middleware and interceptor. Bytes that are not the method's
 * message are the caller's fault, so each deserializer here returns this
 * marker instead, and `requestDecodingMiddleware` answers INVALID_ARGUMENT.
 */
export class UndecodableRequest {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {}

  toServerError(): ServerError {
    return new ServerError(Status.INVALID_ARGUMENT, `the request to ${this.path} is not a valid protobuf message (${this.reason})`);
  }
}

interface MethodLike {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  requestSerialize(value: unknown): Uint8Array;
  requestDeserialize(bytes: Uint8Array): unknown;
  responseSerialize(value: unknown): Uint8Array;
  responseDeserialize(bytes: Uint8Array): unknown;
  options?: object;
}

interface MessageType {
  encode(value: unknown): { finish(): Uint8Array };
  decode(bytes: Uint8Array): unknown;
  fromPartial?(value: unknown): unknown;
}

interface TsProtoDefinition {
  fullName: string;
  methods: Record<string, { name: string; requestType: MessageType; responseType: MessageType; requestStream: boolean; responseStream: boolean; options?: object }>;
}

/** A service definition (ts-proto or grpc-js style) whose deserializers never throw and whose serialization failures are logged. */
export function guardDefinition(definition: object, logger: Logger): Record<string, MethodLike> {
  const methods: Record<string, MethodLike> = "methods" in definition && "fullName" in definition ? fromTsProto(definition as TsProtoDefinition) : { ...(definition as Record<string, MethodLike>) };
  const guarded: Record<string, MethodLike> = {};
  for (const [key, method] of Object.entries(methods)) {
    guarded[key] = {
      ...method,
      options: method.options ?? {},
      requestDeserialize(bytes) {
        try {
          return method.requestDeserialize(bytes);
        } catch (err) {
          return new UndecodableRequest(method.path, err instanceof Error ? err.message : String(err));
        }
      },
      responseSerialize(value) {
        try {
          return method.responseSerialize(value);
        } catch (err) {
          // grpc-js answers INTERNAL "Error serializing response" itself; the cause is only here.
          logger.error({ err, method: method.path }, "response could not be encoded");
          throw err;
        }
      },
    };
  }
  return guarded;
}

function fromTsProto(definition: TsProtoDefinition): Record<string, MethodLike> {
  const encoder = (type: MessageType) => (value: unknown) => type.encode(type.fromPartial ? type.fromPartial(value) : value).finish();
  const result: Record<string, MethodLike> = {};
  for (const [key, m] of Object.entries(definition.methods)) {
    result[key] = {
      path: `/${definition.fullName}/${m.name}`,
      requestStream: m.requestStream,
      responseStream: m.responseStream,
      requestSerialize: encoder(m.requestType),
      requestDeserialize: (bytes) => m.requestType.decode(bytes),
      responseSerialize: encoder(m.responseType),
      responseDeserialize: (bytes) => m.responseType.decode(bytes),
      options: m.options ?? {},
    };
  }
  return result;
}

/** Turns the marker of an undecodable request (or of one message of a request stream) into INVALID_ARGUMENT. */
export function requestDecodingMiddleware(): ServerMiddleware {
  return async function* refuseUndecodable(call, context) {
    if (!call.requestStream) {
      if (call.request instanceof UndecodableRequest) throw call.request.toServerError();
      return yield* call.next(call.request, context);
    }
    const requests = call.request as AsyncIterable<unknown>;
    async function* checked() {
      for await (const message of requests) {
        if (message instanceof UndecodableRequest) throw message.toServerError();
        yield message;
      }
    }
    return yield* call.next(checked() as never, context);
  };
}

type Builder = Pick<Server, "add" | "with">;

/** Makes every `add` on the server (and on its `with(...)` builders) use guarded definitions. */
export function guardAdds<T extends Builder>(builder: T, logger: Logger): T {
  const add = builder.add.bind(builder);
  const withMiddleware = builder.with.bind(builder);
  builder.add = ((definition: object, implementation: never) => add(guardDefinition(definition, logger) as never, implementation)) as T["add"];
  builder.with = ((middleware: never) => guardAdds(withMiddleware(middleware) as unknown as Builder, logger)) as T["with"];
  return builder;
}
