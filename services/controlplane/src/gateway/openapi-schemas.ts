import { ScalarType, type DescEnum, type DescField, type DescMessage } from "@bufbuild/protobuf";
import { FeatureSet_FieldPresence } from "@bufbuild/protobuf/wkt";
import { idPatterns, requestRules } from "./field-rules.js";

/**
 * JSON Schemas (OpenAPI 3.1, so full JSON Schema) of messages as the gateway
 * reads and writes them in proto3 JSON: lowerCamelCase names, enums by name,
 * 64-bit integers and bytes as strings, no unknown fields, no `null` except
 * where a type is nullable. Request messages carry the server's rules
 * (field-rules.ts); response-only messages list as required every field the
 * gateway always emits (it writes implicit defaults too).
 */

export type Schema = Record<string, unknown>;

export interface SchemaBuilder {
  /** A $ref to the message's component (or an inline schema for well-known types). */
  ref(message: DescMessage): Schema;
  /** The message without the fields the path binds (a body: "*" request). */
  bodyRef(message: DescMessage, omit: Set<string>): Schema;
  /** Schema of one field, with the rules of the message it belongs to. */
  field(owner: DescMessage, field: DescField): Schema;
  /** Whether the server requires this field of this message. */
  isRequired(owner: DescMessage, field: DescField): boolean;
  /** Every component referenced so far. */
  components(): Record<string, Schema>;
}

export function createSchemaBuilder(requestTypes: Set<string>): SchemaBuilder {
  const schemas: Record<string, Schema> = {};
  const pending: { name: string; message: DescMessage; omit: Set<string> }[] = [];

  const register = (name: string, message: DescMessage, omit: Set<string>): Schema => {
    if (!(name in schemas)) {
      schemas[name] = {}; // placeholder stops recursion
      pending.push({ name, message, omit });
    }
    return { $ref: `#/components/schemas/${name}` };
  };

  const builder: SchemaBuilder = {
    ref(message) {
      return wellKnown(message.typeName) ?? register(message.typeName, message, new Set());
    },
    bodyRef(message, omit) {
      const kept = [...omit].filter((name) => message.fields.some((f) => f.name === name));
      if (kept.length === 0) return builder.ref(message);
      return register(`${message.typeName}.Body`, message, new Set(kept));
    },
    field(owner, field) {
      const base = fieldSchema(field, builder.ref);
      const idPattern = field.fieldKind === "scalar" && field.scalar === ScalarType.STRING ? idPatterns[field.name] : undefined;
      // In answers an id field may be empty where nothing is linked (a template made by no build has no build_id).
      const id = idPattern && !requestTypes.has(owner.typeName) ? `^(${idPattern.slice(1, -1)})?$` : idPattern;
      const rule = requestTypes.has(owner.typeName) ? requestRules[owner.typeName]?.fields?.[field.name] : undefined;
      return { ...base, ...(id ? { pattern: id } : {}), ...rule };
    },
    isRequired(owner, field) {
      if (requestTypes.has(owner.typeName)) return requestRules[owner.typeName]?.required?.includes(field.name) ?? false;
      return alwaysEmitted(field);
    },
    components() {
      while (pending.length > 0) {
        const { name, message, omit } = pending.shift()!;
        schemas[name] = messageSchema(builder, message, omit, requestTypes.has(message.typeName));
      }
      return schemas;
    },
  };
  return builder;
}

function messageSchema(builder: SchemaBuilder, message: DescMessage, omit: Set<string>, isRequest: boolean): Schema {
  const properties: Record<string, Schema> = {};
  const required: string[] = [];
  for (const field of message.fields) {
    if (omit.has(field.name)) continue;
    properties[field.jsonName] = builder.field(message, field);
    if (builder.isRequired(message, field)) required.push(field.jsonName);
  }
  const extra = isRequest ? requestRules[message.typeName]?.message : undefined;
  return {
    type: "object",
    properties,
    ...(required.length > 0 ? { required } : {}),
    // The gateway refuses unknown fields (and never writes any).
    additionalProperties: false,
    ...extra,
  };
}

/** toJson with alwaysEmitImplicit writes these even at their default; message, oneof and optional fields only when set. */
function alwaysEmitted(field: DescField): boolean {
  if (field.fieldKind === "list" || field.fieldKind === "map") return true;
  if (field.fieldKind === "message") return false;
  return field.presence === FeatureSet_FieldPresence.IMPLICIT;
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

export function scalarSchema(scalar: ScalarType): Schema {
  switch (scalar) {
    case ScalarType.BOOL:
      return { type: "boolean" };
    case ScalarType.STRING:
      return { type: "string" };
    case ScalarType.BYTES:
      return { type: "string", format: "byte", contentEncoding: "base64" };
    case ScalarType.DOUBLE:
      return { type: "number", format: "double" };
    case ScalarType.FLOAT:
      return { type: "number", format: "float" };
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return { type: "string", format: "int64", pattern: "^-?[0-9]+$" };
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return { type: "string", format: "uint64", pattern: "^[0-9]+$" };
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return { type: "integer", minimum: 0, maximum: 4294967295 };
    default:
      return { type: "integer", format: "int32", minimum: -2147483648, maximum: 2147483647 };
  }
}

/** Well-known types whose JSON form is not an object of their fields. */
export function wellKnown(typeName: string): Schema | undefined {
  switch (typeName) {
    case "google.protobuf.Timestamp":
      return { type: "string", format: "date-time" };
    case "google.protobuf.Duration":
      return { type: "string", pattern: "^-?[0-9]+(\\.[0-9]{1,9})?s$", examples: ["1.5s"] };
    case "google.protobuf.FieldMask":
      return { type: "string" };
    case "google.protobuf.Empty":
      return { type: "object", additionalProperties: false };
    case "google.protobuf.Struct":
      return { type: "object" };
    case "google.protobuf.Value":
      return {};
    case "google.protobuf.ListValue":
      return { type: "array" };
    case "google.protobuf.StringValue":
      return { type: ["string", "null"] };
    case "google.protobuf.BoolValue":
      return { type: ["boolean", "null"] };
    case "google.protobuf.BytesValue":
      return { type: ["string", "null"], contentEncoding: "base64" };
    case "google.protobuf.Int32Value":
    case "google.protobuf.UInt32Value":
      return { type: ["integer", "null"] };
    case "google.protobuf.Int64Value":
    case "google.protobuf.UInt64Value":
      return { type: ["string", "null"], pattern: "^-?[0-9]+$" };
    case "google.protobuf.DoubleValue":
    case "google.protobuf.FloatValue":
      return { type: ["number", "null"] };
    default:
      return undefined;
  }
}
