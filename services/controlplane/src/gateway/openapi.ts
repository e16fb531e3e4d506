import { ScalarType, type DescEnum, type DescField, type DescMessage } from "@bufbuild/protobuf";
import type { Route } from "./routes.js";

/**
 * OpenAPI 3.0 document built from the same routes the gateway serves, so the
 * two cannot drift. Schemas follow the proto3 JSON mapping the gateway emits.
 */

type Schema = Record<string, unknown>;

export interface OpenApiInfo {
  title: string;
  version: string;
}

export function buildOpenApi(routes: Route[], info: OpenApiInfo): Record<string, unknown> {
  const schemas: Record<string, Schema> = {
    Status: {
      type: "object",
      properties: {
        code: { type: "string", example: "NOT_FOUND" },
        message: { type: "string" },
        details: { type: "array", items: {} },
      },
    },
  };
  const pending: DescMessage[] = [];
  const ref = (message: DescMessage): Schema => {
    const wkt = wellKnown(message.typeName);
    if (wkt) return wkt;
    if (!(message.typeName in schemas)) {
      schemas[message.typeName] = {}; // placeholder stops recursion
      pending.push(message);
    }
    return { $ref: `#/components/schemas/${message.typeName}` };
  };

  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const pathParams = route.template.variables.map((v) => v.fieldPath.join("."));
    const parameters: Schema[] = pathParams.map((name) => ({
      name,
      in: "path",
      required: true,
      schema: fieldSchemaAt(route.input, name.split("."), ref) ?? { type: "string" },
    }));
    if (route.body !== "*") {
      const bound = new Set([...pathParams, route.body].filter(Boolean).map((p) => p.split(".")[0]));
      for (const [name, schema] of queryParams(route.input, bound, ref, 0)) {
        parameters.push({ name, in: "query", required: false, schema });
      }
    }
    const streamingIn = route.kind === "client_streaming";
    const streamingOut = route.kind === "server_streaming";
    const operation: Record<string, unknown> = {
      operationId: route.method.name,
      tags: [route.method.parent.name],
      parameters,
      responses: {
        "200": {
          description: streamingOut ? "NDJSON: one message a line; a failure mid-stream is a final {\"error\":{…}} line" : "OK",
          content: { [streamingOut ? "application/x-ndjson" : "application/json"]: { schema: ref(route.output) } },
        },
        default: { description: "Error", content: { "application/json": { schema: { $ref: "#/components/schemas/Status" } } } },
      },
    };
    if (route.body !== "") {
      const bodySchema =
        route.body === "*" ? ref(route.input) : fieldSchema(route.input.fields.find((f) => f.name === route.body)!, ref);
      operation.requestBody = {
        required: streamingIn,
        content: { [streamingIn ? "application/x-ndjson" : "application/json"]: { schema: bodySchema } },
      };
    }
    const path = (paths[route.template.openApiPath] ??= {});
    path[route.httpMethod.toLowerCase()] = operation;
  }

  while (pending.length > 0) {
    const message = pending.shift()!;
    const properties: Record<string, Schema> = {};
    for (const field of message.fields) properties[field.jsonName] = fieldSchema(field, ref);
    schemas[message.typeName] = { type: "object", properties };
  }
  return { openapi: "3.0.3", info, paths, components: { schemas } };
}

/** Query parameters for every scalar field not bound by path or body, nested by dots. */
function queryParams(message: DescMessage, bound: Set<string>, ref: (m: DescMessage) => Schema, depth: number): [string, Schema][] {
  const out: [string, Schema][] = [];
  for (const field of message.fields) {
    if (depth === 0 && bound.has(field.name)) continue;
    if (field.fieldKind === "message" && !wellKnown(field.message.typeName)) {
      if (depth < 2) {
        for (const [name, schema] of queryParams(field.message, bound, ref, depth + 1)) out.push([`${field.jsonName}.${name}`, schema]);
      }
      continue;
    }
    if (field.fieldKind === "map" || (field.fieldKind === "list" && field.listKind === "message")) continue;
    out.push([field.jsonName, fieldSchema(field, ref)]);
  }
  return out;
}

function fieldSchemaAt(message: DescMessage, path: string[], ref: (m: DescMessage) => Schema): Schema | undefined {
  const field = message.fields.find((f) => f.name === path[0] || f.jsonName === path[0]);
  if (!field) return undefined;
  if (path.length === 1) return fieldSchema(field, ref);
  return field.fieldKind === "message" ? fieldSchemaAt(field.message, path.slice(1), ref) : undefined;
}

function fieldSchema(field: DescField, ref: (m: DescMessage) => Schema): Schema {
  switch (field.fieldKind) {
    case "scalar":
      return scalarSchema(field.scalar);
    case "enum":
      return enumSchema(field.enum);
    case "message":
      return ref(field.message);
    case "list":
      return {
        type: "array",
        items:
          field.listKind === "scalar" ? scalarSchema(field.scalar) : field.listKind === "enum" ? enumSchema(field.enum) : ref(field.message),
      };
    case "map":
      return {
        type: "object",
        additionalProperties:
          field.mapKind === "scalar" ? scalarSchema(field.scalar) : field.mapKind === "enum" ? enumSchema(field.enum) : ref(field.message),
      };
  }
}

function enumSchema(desc: DescEnum): Schema {
  return { type: "string", enum: desc.values.map((v) => v.name) };
}

function scalarSchema(scalar: ScalarType): Schema {
  switch (scalar) {
    case ScalarType.BOOL:
      return { type: "boolean" };
    case ScalarType.STRING:
      return { type: "string" };
    case ScalarType.BYTES:
      return { type: "string", format: "byte" };
    case ScalarType.DOUBLE:
      return { type: "number", format: "double" };
    case ScalarType.FLOAT:
      return { type: "number", format: "float" };
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return { type: "string", format: "int64" };
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return { type: "string", format: "uint64" };
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return { type: "integer", format: "int64", minimum: 0 };
    default:
      return { type: "integer", format: "int32" };
  }
}

/** Well-known types whose JSON form is not an object of their fields. */
function wellKnown(typeName: string): Schema | undefined {
  switch (typeName) {
    case "google.protobuf.Timestamp":
      return { type: "string", format: "date-time" };
    case "google.protobuf.Duration":
      return { type: "string", example: "1.5s" };
    case "google.protobuf.FieldMask":
      return { type: "string" };
    case "google.protobuf.Empty":
      return { type: "object" };
    case "google.protobuf.Struct":
      return { type: "object", additionalProperties: true };
    case "google.protobuf.Value":
      return {};
    case "google.protobuf.ListValue":
      return { type: "array", items: {} };
    case "google.protobuf.StringValue":
      return { type: "string", nullable: true };
    case "google.protobuf.BoolValue":
      return { type: "boolean", nullable: true };
    case "google.protobuf.BytesValue":
      return { type: "string", format: "byte", nullable: true };
    case "google.protobuf.Int32Value":
    case "google.protobuf.UInt32Value":
      return { type: "integer", nullable: true };
    case "google.protobuf.Int64Value":
    case "google.protobuf.UInt64Value":
      return { type: "string", format: "int64", nullable: true };
    case "google.protobuf.DoubleValue":
    case "google.protobuf.FloatValue":
      return { type: "number", nullable: true };
    default:
      return undefined;
  }
}
