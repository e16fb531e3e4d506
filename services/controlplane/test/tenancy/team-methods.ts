/**
 * Every public method whose request names a team (a top-level `team_id`),
 * read from the descriptor set (not a list written here), a request for each
 * built from its schema, and callers over gRPC and over HTTP through the
 * gateway. A new team-scoped RPC is in the tenancy test as soon as it is in
 * the proto.
 */
import { randomBytes } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import { ScalarType, fromJson, toBinary, type DescField, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import { descriptorSetBase64 } from "@wrenn/gen/descriptor.js";
import { buildRouteTable, loadRegistry, type Route } from "../../src/gateway/routes.js";

const registry = loadRegistry(descriptorSetBase64);

/** The HTTP binding of each wrenn.api.v1 method whose request has `team_id`; throws for one without a binding. */
export function teamMethods(): Route[] {
  const routes = buildRouteTable(registry, "wrenn.api.v1").routes;
  const found: Route[] = [];
  for (const file of registry.files) {
    if (file.proto.package !== "wrenn.api.v1") continue;
    for (const method of file.services.flatMap((service) => service.methods)) {
      if (!method.input.fields.some((field) => field.name === "team_id")) continue;
      const grpcPath = `/${method.parent.typeName}/${method.name}`;
      const route = routes.find((r) => r.grpcPath === grpcPath);
      // Without a binding the HTTP half of the test would silently skip the method.
      if (!route) throw new Error(`${grpcPath} names a team but has no google.api.http rule`);
      // The callers below send one message and read one answer.
      if (route.kind !== "unary") throw new Error(`${grpcPath} streams; teach team-methods.ts to call it`);
      found.push(route);
    }
  }
  return found;
}

/** Team A's things a request may name besides the team: the call then aims at something real. */
export interface Targets {
  teamId: string;
  /** A member of team A (usr-…): the one an outsider would remove or re-role. */
  userId: string;
  /** One of team A's keys (key-…): the one an outsider would revoke. */
  keyId: string;
}

/** What a careful caller would send in a field, as proto3 JSON; undefined leaves it out. */
function plausible(field: DescField, targets: Targets): JsonValue | undefined {
  if (field.name === "team_id") return targets.teamId;
  switch (field.fieldKind) {
    case "list":
    case "map":
      return undefined;
    case "enum":
      return field.enum.values.find((v) => v.number !== 0)?.name;
    case "message":
      // A window around now (since before, anything else after: expires_at must be in the future).
      if (field.message.typeName === "google.protobuf.Timestamp") return new Date(Date.now() + (field.name === "since" ? -3600_000 : 3600_000)).toISOString();
      return undefined;
    case "scalar":
      break;
  }
  switch (field.scalar) {
    case ScalarType.STRING:
      if (field.name === "user_id" || field.name.endsWith("_user_id")) return targets.userId;
      if (field.name === "key_id") return targets.keyId;
      if (field.name === "email") return `outsider-${randomBytes(4).toString("hex")}@example.test`;
      if (field.name === "result") return "success";
      // Only the server makes page tokens.
      if (field.name === "page_token") return undefined;
      return "tenancy-test";
    case ScalarType.BOOL:
      return false;
    case ScalarType.BYTES:
      return Buffer.from("x").toString("base64");
    default:
      return 10;
  }
}

/** The method's request, every field filled (a oneof by its first member only). */
export function requestJson(route: Route, targets: Targets): JsonObject {
  const json: JsonObject = {};
  for (const field of route.input.fields) {
    if (field.oneof && field.oneof.fields[0] !== field) continue;
    const value = plausible(field, targets);
    if (value !== undefined) json[field.jsonName] = value;
  }
  return json;
}

export interface Answer {
  /** gRPC status (0: it went through) or HTTP status. */
  code: number;
  message: string;
  /** HTTP only. */
  wwwAuthenticate?: string | null;
}

const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

export function callGrpc(client: grpc.Client, route: Route, json: JsonObject, metadata: grpc.Metadata): Promise<Answer> {
  const bytes = asBuffer(toBinary(route.input, fromJson(route.input, json, { registry })));
  const pass = (b: Buffer) => b;
  return new Promise((resolve) => {
    client.makeUnaryRequest(route.grpcPath, pass, pass, bytes, metadata, (err) => resolve(err ? { code: err.code, message: err.details } : { code: 0, message: "" }));
  });
}

/** Through the gateway: path variables from the request, the rest as the body ("*") or query parameters (""). */
export async function callHttp(base: string, route: Route, json: JsonObject, headers: Record<string, string>): Promise<Answer> {
  const rest: JsonObject = { ...json };
  let path = route.template.source;
  for (const variable of route.template.variables) {
    const field = route.input.fields.find((f) => f.name === variable.fieldPath[0])!;
    path = path.replace(/\{[^}]+\}/, encodeURIComponent(String(rest[field.jsonName])));
    delete rest[field.jsonName];
  }
  let body: string | undefined;
  if (route.body === "*") {
    body = JSON.stringify(rest);
  } else if (route.body === "") {
    const query = new URLSearchParams(Object.entries(rest).map(([key, value]): [string, string] => [key, String(value)]));
    if (query.size > 0) path += `?${query.toString()}`;
  } else {
    throw new Error(`${route.grpcPath}: a body of one field (${route.body}) is not built here`);
  }
  const res = await fetch(base + path, {
    method: route.httpMethod,
    headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body,
  });
  const text = await res.text();
  const message = res.headers.get("content-type")?.includes("application/json") ? ((JSON.parse(text) as { message?: string }).message ?? "") : text;
  return { code: res.status, message, wwwAuthenticate: res.headers.get("www-authenticate") };
}
