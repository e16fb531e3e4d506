/**
 * Every public method that names a sandbox, read from the descriptor set
 * (not a list written here), with a request for each built from its schema,
 * and callers that send it over gRPC and over HTTP through the gateway. A new
 * RPC with a `sandbox_id` field is picked up by the tenancy test as soon as
 * it is in the proto.
 */
import * as grpc from "@grpc/grpc-js";
import { ScalarType, create, toBinary, toJson, type DescField, type DescMessage, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import { descriptorSetBase64 } from "@wrenn/gen/descriptor.js";
import { buildRouteTable, loadRegistry, type Route } from "../../src/gateway/routes.js";

export interface SandboxMethod {
  /** "/wrenn.api.v1.ProcessService/StartProcess" */
  grpcPath: string;
  kind: Route["kind"];
  input: DescMessage;
  /** The method's HTTP binding (the first, when there are several). */
  route: Route;
}

const registry = loadRegistry(descriptorSetBase64);

/** Methods of wrenn.api.v1 whose request has a top-level `sandbox_id`, with their service names. */
export function sandboxMethods(): { services: string[]; methods: SandboxMethod[] } {
  return methodsNaming("sandbox_id");
}

/**
 * Methods of wrenn.api.v1 whose request has a top-level field `field`
 * (`template_id`, `build_id`); every one must have an HTTP binding.
 */
export function methodsNaming(field: string): { services: string[]; methods: SandboxMethod[] } {
  const services = new Set<string>();
  const methods: SandboxMethod[] = [];
  const routes = buildRouteTable(registry, "wrenn.api.v1").routes;
  for (const service of [...registry.files].flatMap((file) => (file.proto.package === "wrenn.api.v1" ? file.services : []))) {
    for (const method of service.methods) {
      if (!method.input.fields.some((f) => f.name === field)) continue;
      const grpcPath = `/${service.typeName}/${method.name}`;
      const route = routes.find((r) => r.grpcPath === grpcPath);
      // A method without an HTTP binding would be a hole in the HTTP half of the test.
      if (!route) throw new Error(`${grpcPath} names a ${field} but has no google.api.http rule`);
      services.add(service.typeName);
      methods.push({ grpcPath, kind: method.methodKind, input: method.input, route });
    }
  }
  return { services: [...services].sort(), methods };
}

/** A value a careful caller might send for a field: enough to pass the handler's checks. */
function plausibleValue(field: DescField, depth: number): unknown {
  switch (field.fieldKind) {
    case "enum":
      return field.enum.values.find((v) => v.number !== 0)?.number ?? 0;
    case "message":
      return create(field.message, plausibleFields(field.message, depth + 1) as never);
    case "scalar":
      return plausibleScalar(field.name, field.scalar);
    default:
      return undefined; // lists and maps stay empty
  }
}

function plausibleScalar(name: string, scalar: ScalarType): unknown {
  switch (scalar) {
    case ScalarType.STRING:
      if (name === "cmd") return "echo";
      return ["path", "source", "destination", "cwd"].includes(name) ? "/tmp/wrenn-tenancy" : "tenancy-test";
    case ScalarType.BOOL:
      return false;
    case ScalarType.BYTES:
      return new TextEncoder().encode("x");
    case ScalarType.INT64:
    case ScalarType.UINT64:
    case ScalarType.SINT64:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return 1n;
    default:
      return 1;
  }
}

/** Every field filled (a oneof by its first case), nested messages too, a few levels deep. */
function plausibleFields(message: DescMessage, depth: number): Record<string, unknown> {
  const init: Record<string, unknown> = {};
  if (depth > 4) return init;
  for (const member of message.members) {
    if (member.kind === "oneof") {
      const first = member.fields[0];
      init[member.localName] = { case: first.localName, value: plausibleValue(first, depth) };
      continue;
    }
    const value = plausibleValue(member, depth);
    if (value !== undefined) init[member.localName] = value;
  }
  return init;
}

/** The method's plausible request with `id` in its sandbox_id, template_id or build_id (whichever it names). */
function requestMessage(method: SandboxMethod, id: string) {
  const idField = method.input.fields.find((f) => ["sandbox_id", "template_id", "build_id"].includes(f.name))!;
  return create(method.input, { ...plausibleFields(method.input, 0), [idField.localName]: id } as never);
}

export interface CallOutcome {
  /** gRPC status code (0 for a call that went through) or HTTP status. */
  code: number;
  message: string;
  /** HTTP only: the response headers. */
  headers?: Headers;
}

const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/**
 * Calls the method over gRPC with raw bytes; a stream is read up to its first
 * message (that it started is all the test needs) and then cancelled.
 */
export function callGrpc(client: grpc.Client, method: SandboxMethod, sandboxId: string, metadata: grpc.Metadata): Promise<CallOutcome> {
  const bytes = asBuffer(toBinary(method.input, requestMessage(method, sandboxId)));
  const pass = (b: Buffer) => b;
  return new Promise((resolve) => {
    const done = (err: grpc.ServiceError | null) => resolve(err ? { code: err.code, message: err.details } : { code: 0, message: "" });
    if (method.kind === "unary") {
      client.makeUnaryRequest(method.grpcPath, pass, pass, bytes, metadata, (err) => done(err));
    } else if (method.kind === "client_streaming") {
      const call = client.makeClientStreamRequest(method.grpcPath, pass, pass, metadata, (err) => done(err));
      call.write(bytes);
      call.end();
    } else {
      const call = client.makeServerStreamRequest(method.grpcPath, pass, pass, bytes, metadata);
      call.on("data", () => {
        done(null);
        call.cancel();
      });
      call.on("error", (err: grpc.ServiceError) => done(err));
      call.on("end", () => done(null));
    }
  });
}

/** The request as the gateway's HTTP binding takes it: path variables, then body or query parameters. */
function httpRequest(method: SandboxMethod, sandboxId: string): { path: string; body?: string } {
  const { route, input } = method;
  const json = toJson(input, requestMessage(method, sandboxId), { registry }) as JsonObject;
  let path = route.template.source;
  for (const variable of route.template.variables) {
    const field = input.fields.find((f) => f.name === variable.fieldPath[0])!;
    path = path.replace(/\{[^}]+\}/, encodeURIComponent(String(json[field.jsonName])));
    delete json[field.jsonName];
  }
  if (route.body === "*") return { path, body: JSON.stringify(json) };
  let body: string | undefined;
  if (route.body !== "") {
    const field = input.fields.find((f) => f.name === route.body)!;
    body = JSON.stringify(json[field.jsonName]);
    delete json[field.jsonName];
  }
  const query = new URLSearchParams();
  const flatten = (prefix: string, value: JsonValue) => {
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      for (const [key, inner] of Object.entries(value)) flatten(prefix ? `${prefix}.${key}` : key, inner);
    } else if (Array.isArray(value)) {
      for (const inner of value) query.append(prefix, String(inner));
    } else {
      query.append(prefix, String(value));
    }
  };
  flatten("", json);
  const search = query.toString();
  return { path: search ? `${path}?${search}` : path, body };
}

/** Calls the method through the gateway; a streamed answer is cut once its status and headers are in. */
export async function callHttp(base: string, method: SandboxMethod, sandboxId: string, headers: Record<string, string>): Promise<CallOutcome> {
  const { path, body } = httpRequest(method, sandboxId);
  const abort = new AbortController();
  const res = await fetch(base + path, {
    method: method.route.httpMethod,
    headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body,
    signal: abort.signal,
  });
  if (method.kind === "server_streaming" && res.ok) {
    abort.abort();
    return { code: res.status, message: "", headers: res.headers };
  }
  const text = await res.text();
  const message = res.headers.get("content-type")?.includes("application/json") ? ((JSON.parse(text) as { message?: string }).message ?? "") : text;
  return { code: res.status, message, headers: res.headers };
}
