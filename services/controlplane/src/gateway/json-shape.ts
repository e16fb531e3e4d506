import { ScalarType, type DescEnum, type DescField, type DescMessage, type JsonValue } from "@bufbuild/protobuf";
import { gatewayErrors } from "./gateway-error.js";

/**
 * Checks that a JSON request has the types /openapi.json promises, before
 * @bufbuild/protobuf sees it. The proto3 JSON parser is lenient where the
 * document is not: it reads `null` as "default" for any field, numbers in
 * quotes, enums as numbers and int64 as bare numbers. Here each field takes
 * its canonical proto3 JSON form only (integers as numbers, 64-bit integers
 * and bytes as strings, enums by name), and `null` only where the type is
 * nullable (google.protobuf.Value and the wrapper types), so a request the
 * document calls invalid is a 400 and never silently becomes a default.
 * Unknown fields, enum names, ranges and base64 are left to the parser.
 * Messages name the field, never echo the value.
 */
export function checkJsonShape(message: DescMessage, json: JsonValue, where: string): void {
  checkMessage(message, json, where);
}

/** Same check for a value bound to one field (a rule's `body: "field"`). */
export function checkFieldShape(field: DescField, json: JsonValue, where: string): void {
  checkField(field, json, where);
}

function checkMessage(message: DescMessage, json: JsonValue, where: string): void {
  if (message.typeName.startsWith("google.protobuf.")) return checkWellKnown(message.typeName, json, where);
  if (!isObject(json)) throw mismatch(where, "an object", json);
  for (const field of message.fields) {
    for (const key of new Set([field.jsonName, field.name])) {
      if (Object.hasOwn(json, key)) checkField(field, json[key], `${where}.${key}`);
    }
  }
}

function checkField(field: DescField, value: JsonValue, where: string): void {
  switch (field.fieldKind) {
    case "scalar":
      return checkScalar(field.scalar, value, where);
    case "enum":
      return checkEnum(field.enum, value, where);
    case "message":
      return checkMessage(field.message, value, where);
    case "list": {
      if (!Array.isArray(value)) throw mismatch(where, "an array", value);
      value.forEach((item, i) => {
        const at = `${where}[${i}]`;
        if (field.listKind === "scalar") checkScalar(field.scalar, item, at);
        else if (field.listKind === "enum") checkEnum(field.enum, item, at);
        else checkMessage(field.message, item, at);
      });
      return;
    }
    case "map": {
      if (!isObject(value)) throw mismatch(where, "an object", value);
      for (const [key, item] of Object.entries(value)) {
        const at = `${where}[${JSON.stringify(key.slice(0, 32))}]`;
        if (field.mapKind === "scalar") checkScalar(field.scalar, item, at);
        else if (field.mapKind === "enum") checkEnum(field.enum, item, at);
        else checkMessage(field.message, item, at);
      }
      return;
    }
  }
}

function checkScalar(scalar: ScalarType, value: JsonValue, where: string): void {
  switch (scalar) {
    case ScalarType.STRING:
      if (typeof value !== "string") throw mismatch(where, "a string", value);
      return;
    case ScalarType.BYTES:
      if (typeof value !== "string") throw mismatch(where, "a base64 string", value);
      return;
    case ScalarType.BOOL:
      if (typeof value !== "boolean") throw mismatch(where, "true or false", value);
      return;
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      if (typeof value !== "string") throw mismatch(where, "a decimal integer in a string (64-bit integers are strings in proto3 JSON)", value);
      return;
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      if (typeof value !== "number") throw mismatch(where, "a number", value);
      return;
    default:
      if (typeof value !== "number" || !Number.isInteger(value)) throw mismatch(where, "an integer", value);
  }
}

function checkEnum(desc: DescEnum, value: JsonValue, where: string): void {
  if (desc.typeName === "google.protobuf.NullValue" && value === null) return;
  if (typeof value !== "string") throw mismatch(where, `one of the names of ${desc.name}`, value);
}

const wrappers = new Set(
  ["Double", "Float", "Int64", "UInt64", "Int32", "UInt32", "Bool", "String", "Bytes"].map((t) => `google.protobuf.${t}Value`),
);

/** Well-known types have JSON forms of their own; only null and the outer type are checked. */
function checkWellKnown(typeName: string, value: JsonValue, where: string): void {
  if (typeName === "google.protobuf.Value") return;
  if (value === null) {
    if (wrappers.has(typeName)) return; // null is "unset"
    throw mismatch(where, "a value", value);
  }
  switch (typeName) {
    case "google.protobuf.Timestamp":
    case "google.protobuf.Duration":
    case "google.protobuf.FieldMask":
      if (typeof value !== "string") throw mismatch(where, "a string", value);
      return;
    case "google.protobuf.ListValue":
      if (!Array.isArray(value)) throw mismatch(where, "an array", value);
      return;
    case "google.protobuf.Struct":
    case "google.protobuf.Empty":
    case "google.protobuf.Any":
      if (!isObject(value)) throw mismatch(where, "an object", value);
      return;
    default:
      return;
  }
}

function mismatch(where: string, expected: string, got: JsonValue): Error {
  return gatewayErrors.invalidArgument(`${where} must be ${expected}, got ${describe(got)}`);
}

function describe(value: JsonValue): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "number") return Number.isInteger(value) ? "an integer" : "a number";
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}

function isObject(value: JsonValue): value is { [key: string]: JsonValue } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
