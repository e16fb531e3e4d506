import type { DescMessage } from "@bufbuild/protobuf";
import { createSchemaBuilder, type Schema, type SchemaBuilder } from "./openapi-schemas.js";
import { shapeKey } from "./router.js";
import type { Route } from "./routes.js";

/**
 * OpenAPI 3.1 document built from the same routes the gateway serves, so the
 * two cannot drift: the same paths and methods, path variables that cannot
 * be a literal segment of a more specific route, query parameters for the
 * fields neither the path nor the body binds, bodies without the fields the
 * path binds, NDJSON for streams in both directions.
 */

export interface OpenApiInfo {
  title: string;
  version: string;
}

const ndjsonNote = "NDJSON (application/x-ndjson): one JSON message a line.";

export function buildOpenApi(routes: Route[], info: OpenApiInfo): Record<string, unknown> {
  const schemas = createSchemaBuilder(requestTypes(routes));
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const operation: Record<string, unknown> = {
      operationId: route.method.name,
      tags: [route.method.parent.name],
      parameters: [...pathParameters(route, routes, schemas), ...queryParameters(route, schemas)],
      responses: responses(route, schemas),
    };
    const body = requestBody(route, schemas);
    if (body) operation.requestBody = body;
    (paths[route.template.openApiPath] ??= {})[route.httpMethod.toLowerCase()] = operation;
  }
  return {
    openapi: "3.1.0",
    info,
    paths,
    components: { schemas: { ...schemas.components(), Status: statusSchema, StreamError: streamErrorSchema } },
  };
}

function pathParameters(route: Route, routes: Route[], schemas: SchemaBuilder): Schema[] {
  return route.template.variables.map((v) => {
    const name = v.fieldPath.join(".");
    const field = fieldAt(route.input, v.fieldPath);
    let schema: Schema = field ? schemas.field(field.owner, field.field) : { type: "string" };
    if (schema.type === "string" && schema.minLength === undefined) schema = { ...schema, minLength: 1 };
    const shadowed = v.end - v.start === 1 ? shadowingLiterals(route, v.start, routes) : [];
    if (shadowed.length > 0) schema = { ...schema, not: { enum: shadowed } };
    return { name, in: "path", required: true, schema };
  });
}

/**
 * Literal segments of other routes that a value of this single-segment
 * variable would collide with: the router gives such a path to the
 * literal route (literals win), so those values never reach this one.
 */
function shadowingLiterals(route: Route, at: number, routes: Route[]): string[] {
  const mine = route.template.segments;
  const out = new Set<string>();
  for (const other of routes) {
    const theirs = other.template.segments;
    if (shapeKey(other.template) === shapeKey(route.template)) continue;
    if (theirs.length !== mine.length || other.template.verb !== route.template.verb) continue;
    const candidate = theirs[at];
    if (candidate.kind !== "literal") continue;
    const compatible = mine.every((seg, i) => {
      if (i === at) return true;
      const o = theirs[i];
      return seg.kind !== "literal" || o.kind !== "literal" ? true : seg.value === o.value;
    });
    if (compatible) out.add(candidate.value);
  }
  return [...out].sort();
}

/** Scalar fields not bound by the path or the body, nested messages by dotted names (two levels). */
function queryParameters(route: Route, schemas: SchemaBuilder): Schema[] {
  if (route.body === "*") return [];
  const bound = new Set([...route.template.variables.map((v) => v.fieldPath[0]), route.body].filter(Boolean));
  const out: Schema[] = [];
  const walk = (message: DescMessage, prefix: string, depth: number): void => {
    for (const field of message.fields) {
      if (depth === 0 && (bound.has(field.name) || bound.has(field.jsonName))) continue;
      if (field.fieldKind === "map" || (field.fieldKind === "list" && field.listKind === "message")) continue;
      if (field.fieldKind === "message" && !field.message.typeName.startsWith("google.protobuf.")) {
        if (depth < 2) walk(field.message, `${prefix}${field.jsonName}.`, depth + 1);
        continue;
      }
      const required = depth === 0 && schemas.isRequired(message, field);
      out.push({ name: `${prefix}${field.jsonName}`, in: "query", required, schema: schemas.field(message, field) });
    }
  };
  walk(route.input, "", 0);
  return out;
}

function requestBody(route: Route, schemas: SchemaBuilder): Schema | undefined {
  if (route.body === "") return undefined;
  const streamingIn = route.kind === "client_streaming";
  let schema: Schema;
  let required: boolean;
  if (route.body === "*") {
    const bound = new Set(route.template.variables.map((v) => v.fieldPath[0]));
    schema = schemas.bodyRef(route.input, bound);
    required = route.input.fields.some((f) => !bound.has(f.name) && schemas.isRequired(route.input, f));
  } else {
    const field = route.input.fields.find((f) => f.name === route.body)!;
    schema = schemas.field(route.input, field);
    required = schemas.isRequired(route.input, field);
  }
  const contentType = streamingIn ? "application/x-ndjson" : "application/json";
  return {
    required: required || streamingIn,
    ...(streamingIn
      ? { description: `${ndjsonNote} The schema is that of one line; path variables fill every message, and the call ends with the body.` }
      : {}),
    content: { [contentType]: { schema } },
  };
}

function responses(route: Route, schemas: SchemaBuilder): Schema {
  const streamingOut = route.kind === "server_streaming";
  const ok = streamingOut
    ? {
        description: `${ndjsonNote} A failure after the first line ends the stream with one {"error":{…}} line.`,
        content: { "application/x-ndjson": { schema: { anyOf: [schemas.ref(route.output), { $ref: "#/components/schemas/StreamError" }] } } },
      }
    : {
        description: "200 OK, or 202 Accepted when the call answers before its work is done (create, pause, resume, destroy)",
        content: { "application/json": { schema: schemas.ref(route.output) } },
      };
  return {
    [streamingOut ? "200" : "2XX"]: ok,
    default: {
      description: "Error: the gRPC status, its HTTP status from one table (400, 404, 405, 409, 413, 429, 503, …)",
      content: { "application/json": { schema: { $ref: "#/components/schemas/Status" } } },
    },
  };
}

/** Every message type a request can contain (their fields carry the server's rules). */
function requestTypes(routes: Route[]): Set<string> {
  const seen = new Set<string>();
  const visit = (message: DescMessage): void => {
    if (seen.has(message.typeName) || message.typeName.startsWith("google.protobuf.")) return;
    seen.add(message.typeName);
    for (const field of message.fields) {
      if (field.fieldKind === "message") visit(field.message);
      else if (field.fieldKind === "list" && field.listKind === "message") visit(field.message);
      else if (field.fieldKind === "map" && field.mapKind === "message") visit(field.message);
    }
  };
  for (const route of routes) visit(route.input);
  return seen;
}

function fieldAt(message: DescMessage, path: string[]) {
  let owner = message;
  for (let i = 0; i < path.length; i++) {
    const field = owner.fields.find((f) => f.name === path[i] || f.jsonName === path[i]);
    if (!field) return undefined;
    if (i === path.length - 1) return { owner, field };
    if (field.fieldKind !== "message") return undefined;
    owner = field.message;
  }
  return undefined;
}

const statusCodes = [
  "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE",
  "DATA_LOSS", "UNAUTHENTICATED",
];

const statusSchema: Schema = {
  type: "object",
  properties: {
    code: { type: "string", enum: statusCodes, examples: ["NOT_FOUND"] },
    message: { type: "string" },
    details: { type: "array", items: {} },
  },
  required: ["code", "message", "details"],
  additionalProperties: false,
};

const streamErrorSchema: Schema = {
  type: "object",
  properties: {
    error: {
      type: "object",
      properties: { code: { type: "string", enum: statusCodes }, message: { type: "string" } },
      required: ["code", "message"],
      additionalProperties: false,
    },
  },
  required: ["error"],
  additionalProperties: false,
};
