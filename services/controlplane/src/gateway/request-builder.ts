import {
  ScalarType,
  fromBinary,
  fromJson,
  toBinary,
  toJson,
  type DescField,
  type DescMessage,
  type JsonObject,
  type JsonValue,
  type Registry,
} from "@bufbuild/protobuf";
import { gatewayErrors } from "./gateway-error.js";
import { checkFieldShape, checkJsonShape } from "./json-shape.js";
import type { Route } from "./routes.js";

/**
 * Turns HTTP inputs (path variables, query parameters, JSON body) into the
 * proto3 JSON of the request message, then into binary protobuf. Everything
 * goes through the JSON form so @bufbuild/protobuf does all type checking and
 * produces the error messages (unknown field, wrong type) users see.
 */

export interface HttpInputs {
  pathVars: Map<string, string>;
  /** Raw query string without "?" ("" when none). */
  query: string;
  /** Parsed JSON body, or undefined when the request had none. */
  body: JsonValue | undefined;
}

/** Proto3 JSON object of the request; path variables win over body and query. */
export function buildRequestJson(route: Route, inputs: HttpInputs): JsonObject {
  let json: JsonObject = {};
  if (route.body === "*") {
    if (inputs.body !== undefined) {
      if (!isObject(inputs.body)) throw gatewayErrors.invalidArgument("request body must be a JSON object");
      refusePathFieldsInBody(route, inputs.body);
      checkJsonShape(route.input, inputs.body, "body");
      json = { ...inputs.body };
    }
    if (inputs.query !== "") throw gatewayErrors.invalidArgument("this route takes no query parameters (send fields in the body)");
  } else {
    if (route.body !== "" && inputs.body !== undefined) {
      const field = route.input.fields.find((f) => f.name === route.body)!;
      checkFieldShape(field, inputs.body, "body");
      json[field.jsonName] = inputs.body;
    }
    applyQuery(route, json, inputs.query);
  }
  for (const [path, value] of inputs.pathVars) {
    setField(route.input, json, path.split("."), [value], `path variable "${path}"`);
  }
  return json;
}

/** JSON → binary protobuf of `schema`; unknown fields and type errors are INVALID_ARGUMENT. */
export function encodeMessage(schema: DescMessage, json: JsonValue, registry: Registry): Uint8Array {
  let message;
  try {
    message = fromJson(schema, json, { ignoreUnknownFields: false, registry });
  } catch (err) {
    throw gatewayErrors.invalidArgument(describeJsonError(err));
  }
  return toBinary(schema, message);
}

/** Binary protobuf → canonical proto3 JSON (lowerCamelCase, enums as names, int64 as strings). */
export function decodeMessage(schema: DescMessage, bytes: Uint8Array, registry: Registry): JsonValue {
  // Implicit (default-valued) fields are emitted so an exit code of 0 or an
  // empty list is visible instead of silently absent.
  return toJson(schema, fromBinary(schema, bytes), { alwaysEmitImplicit: true, registry });
}

function describeJsonError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return bounded(message.replace(/^cannot decode (message )?/, "invalid request: cannot decode "), 400);
}

/** A name from the request, quoted and cut to a readable length (whole characters only). */
function shown(name: string): string {
  return JSON.stringify(bounded(name, 64));
}

function bounded(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length > max ? `${chars.slice(0, max).join("")}…` : text;
}

/**
 * A field the path binds is not part of the body (the OpenAPI body schema
 * leaves it out): two values for one field would leave the caller guessing
 * which one was used.
 */
function refusePathFieldsInBody(route: Route, body: JsonObject): void {
  for (const v of route.template.variables) {
    const field = findField(route.input, v.fieldPath[0]);
    if (!field) continue;
    if (Object.hasOwn(body, field.jsonName) || Object.hasOwn(body, field.name)) {
      throw gatewayErrors.invalidArgument(`${field.name} is given by the path; leave it out of the body`);
    }
  }
}

function applyQuery(route: Route, json: JsonObject, query: string): void {
  if (query === "") return;
  const schema = route.input;
  const bound = new Set(route.template.variables.map((v) => findField(schema, v.fieldPath[0])?.name));
  if (route.body !== "") bound.add(route.body);
  const grouped = new Map<string, string[]>();
  for (const [key, value] of new URLSearchParams(query)) {
    const list = grouped.get(key) ?? [];
    list.push(value);
    grouped.set(key, list);
  }
  for (const [key, values] of grouped) {
    const top = findField(schema, key.split(".")[0])?.name;
    if (top !== undefined && bound.has(top)) {
      throw gatewayErrors.invalidArgument(`query parameter ${shown(key)}: ${top} is given by the ${route.body === top ? "body" : "path"}`);
    }
    setField(schema, json, key.split("."), values, `query parameter ${shown(key)}`);
  }
}

function findField(schema: DescMessage, name: string): DescField | undefined {
  return schema.fields.find((f) => f.name === name || f.jsonName === name);
}

/**
 * Sets the field at `path` inside `json` (creating nested objects), coercing
 * the string values by the field's kind. Both proto and JSON names resolve.
 */
function setField(schema: DescMessage, json: JsonObject, path: string[], values: string[], what: string): void {
  let message = schema;
  let target = json;
  for (let i = 0; i < path.length; i++) {
    const field = findField(message, path[i]);
    if (!field) throw gatewayErrors.invalidArgument(`${what}: no field ${shown(path[i])} in ${message.typeName}`);
    const existing = takeExisting(target, field);
    if (i < path.length - 1) {
      if (field.fieldKind !== "message") {
        throw gatewayErrors.invalidArgument(`${what}: ${shown(path[i])} is not a message field`);
      }
      const child: JsonObject = isObject(existing) ? { ...existing } : {};
      target[field.jsonName] = child;
      target = child;
      message = field.message;
      continue;
    }
    target[field.jsonName] = coerceField(field, values, what);
  }
}

/** Removes the field's value under either spelling so one key remains. */
function takeExisting(target: JsonObject, field: DescField): JsonValue | undefined {
  const value = target[field.jsonName] ?? target[field.name];
  delete target[field.name];
  delete target[field.jsonName];
  return value;
}

function coerceField(field: DescField, values: string[], what: string): JsonValue {
  switch (field.fieldKind) {
    case "list":
      if (field.listKind === "message") throw gatewayErrors.invalidArgument(`${what}: repeated message fields cannot be set here`);
      return values.map((v) => (field.listKind === "enum" ? coerceEnum(v) : coerceScalar(field.scalar, v, what)));
    case "map":
      throw gatewayErrors.invalidArgument(`${what}: map fields cannot be set here`);
    default:
      break;
  }
  if (values.length > 1) throw gatewayErrors.invalidArgument(`${what}: given more than once for a singular field`);
  const value = values[0];
  switch (field.fieldKind) {
    case "enum":
      return coerceEnum(value);
    case "scalar":
      return coerceScalar(field.scalar, value, what);
    case "message":
      // Well-known types with a string JSON form (Timestamp, Duration,
      // FieldMask, wrappers) take the value as given; fromJson checks it.
      if (field.message.typeName === "google.protobuf.BoolValue") return coerceScalar(ScalarType.BOOL, value, what);
      return value;
  }
}

/** Enums by name only, as the OpenAPI document lists them. */
function coerceEnum(value: string): JsonValue {
  return value;
}

/**
 * Query values are text; each becomes the JSON form its field has in the
 * document (integers as numbers, 64-bit integers as strings of digits), so
 * "0x10", "1e3" or " 7" are refused rather than read by a lenient parser.
 * Errors never echo the value (it may be huge or not valid text).
 */
function coerceScalar(scalar: ScalarType, value: string, what: string): JsonValue {
  switch (scalar) {
    case ScalarType.BOOL:
      if (value === "true") return true;
      if (value === "false") return false;
      throw gatewayErrors.invalidArgument(`${what}: expected true or false`);
    case ScalarType.STRING:
    case ScalarType.BYTES:
      return value;
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      if (!/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(value)) throw gatewayErrors.invalidArgument(`${what}: expected a number`);
      return Number(value);
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      if (!/^-?\d{1,20}$/.test(value)) throw gatewayErrors.invalidArgument(`${what}: expected a decimal integer`);
      return value;
    default:
      // 32-bit integers: fromJson reports values out of range.
      if (!/^-?\d{1,11}$/.test(value)) throw gatewayErrors.invalidArgument(`${what}: expected a decimal integer`);
      return Number(value);
  }
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
