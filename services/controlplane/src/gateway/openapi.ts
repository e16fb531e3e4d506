import type { DescMessage } from "@bufbuild/protobuf";
import { createSchemaBuilder, type Schema, type SchemaBuilder } from "./openapi-schemas.js";
import { rawOperation, securityComponents, securityOf } from "./openapi-raw.js";
import type { PathTemplate } from "./path-template.js";
import type { RoutedRawRoute } from "./raw-routes.js";
import { shapeKey } from "./router.js";
import type { Route } from "./routes.js";

/**
 * OpenAPI 3.1 document built from the same routes the gateway serves, so the
 * two cannot drift: the same paths and methods, path variables that cannot
 * be a literal segment of a more specific route, query parameters for the
 * fields neither the path nor the body binds, bodies without the fields the
 * path binds, NDJSON for streams in both directions. The raw routes are
 * listed from their own operation objects, and every operation names the
 * credentials it takes (an API key as a bearer token or X-API-Key), so
 * Swagger UI's try-it-out sends the caller's key.
 */

export interface OpenApiInfo {
  title: string;
  version: string;
}

const ndjsonNote = "NDJSON (application/x-ndjson): one JSON message a line.";

export interface OpenApiExtras {
  /** Hand-served routes, listed from their `openapi` objects. */
  rawRoutes?: RoutedRawRoute[];
  /** gRPC paths callable without a credential: their operations declare no security. */
  openMethods?: ReadonlySet<string>;
}

export function buildOpenApi(routes: Route[], info: OpenApiInfo, extras: OpenApiExtras = {}): Record<string, unknown> {
  const schemas = createSchemaBuilder(requestTypes(routes));
  const raws = extras.rawRoutes ?? [];
  const templates = [...routes, ...raws].map((r) => r.template);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const operation: Record<string, unknown> = {
      operationId: route.method.name,
      tags: [route.method.parent.name],
      ...streamingNote(route),
      parameters: [...pathParameters(route, templates, schemas), ...queryParameters(route, schemas)],
      responses: responses(route, schemas),
      ...securityOf(extras.openMethods?.has(route.grpcPath) ?? false),
    };
    const body = requestBody(route, schemas);
    if (body) operation.requestBody = body;
    (paths[route.template.openApiPath] ??= {})[route.httpMethod.toLowerCase()] = operation;
  }
  for (const raw of raws) {
    const parameters = pathParameters(raw, templates, schemas, routes);
    (paths[raw.template.openApiPath] ??= {})[raw.httpMethod.toLowerCase()] = rawOperation(raw, parameters);
  }
  return {
    openapi: "3.1.0",
    info,
    paths,
    components: { schemas: { ...schemas.components(), Status: statusSchema, StreamError: streamErrorSchema }, securitySchemes: securityComponents },
  };
}

/** Swagger UI shows the summary beside the path: streams say there that they are NDJSON. */
function streamingNote(route: Route): Record<string, unknown> {
  if (route.kind === "server_streaming") return { summary: `${route.method.name} (streams NDJSON)`, "x-wrenn-streaming": "server", description: `The response is a stream. ${ndjsonNote}` };
  if (route.kind === "client_streaming") return { summary: `${route.method.name} (NDJSON request body)`, "x-wrenn-streaming": "client", description: `The request body is a stream. ${ndjsonNote}` };
  return { summary: route.method.name };
}

/**
 * A raw route's variable takes the schema a transcoded route gives the
 * variable of the same name (the wire id pattern of a sandbox_id), else a
 * non-empty string.
 */
function pathParameters(route: Route | RoutedRawRoute, templates: PathTemplate[], schemas: SchemaBuilder, transcoded: Route[] = []): Schema[] {
  return route.template.variables.map((v) => {
    const name = v.fieldPath.join(".");
    let schema: Schema = { type: "string" };
    const owner = route.kind === "raw" ? transcoded.find((r) => r.template.variables.some((o) => o.fieldPath.join(".") === name)) : route;
    const field = owner ? fieldAt(owner.input, v.fieldPath) : undefined;
    if (field) schema = schemas.field(field.owner, field.field);
    if (schema.type === "string" && schema.minLength === undefined) schema = { ...schema, minLength: 1 };
    const shadowed = v.end - v.start === 1 ? shadowingLiterals(route.template, v.start, templates) : [];
    if (shadowed.length > 0) schema = { ...schema, not: { enum: shadowed } };
    return { name, in: "path", required: true, schema };
  });
}

/**
 * Literal segments of other routes that a value of this single-segment
 * variable would collide with: the router gives such a path to the
 * literal route (literals win), so those values never reach this one.
 */
function shadowingLiterals(template: PathTemplate, at: number, templates: PathTemplate[]): string[] {
  const mine = template.segments;
  const out = new Set<string>();
  for (const other of templates) {
    const theirs = other.segments;
    if (shapeKey(other) === shapeKey(template)) continue;
    if (theirs.length !== mine.length || other.verb !== template.verb) continue;
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
