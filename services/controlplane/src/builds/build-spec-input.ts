import { descriptorSetBase64 } from "@wrenn/gen/descriptor.js";
import { BuildSpec, CreateBuildResponse } from "@wrenn/gen/wrenn/api/v1/template.js";
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { gatewayErrors } from "../gateway/gateway-error.js";
import { decodeMessage, encodeMessage } from "../gateway/request-builder.js";
import { loadRegistry } from "../gateway/routes.js";

let registry: ReturnType<typeof loadRegistry> | undefined;
const schemaOf = (name: string) => {
  registry ??= loadRegistry(descriptorSetBase64);
  const schema = registry.getMessage(name);
  if (!schema) throw new Error(`${name} is not in the descriptor set`);
  return { schema, registry };
};

/** A JSON BuildSpec, checked as the transcoded routes check bodies (types, unknown fields: 400). */
export function specFromJson(json: JsonValue | undefined): BuildSpec {
  if (json === undefined || json === null || typeof json !== "object" || Array.isArray(json)) {
    throw gatewayErrors.invalidArgument("the body must be a JSON object (a BuildSpec)");
  }
  const { schema, registry } = schemaOf("wrenn.api.v1.BuildSpec");
  return BuildSpec.decode(encodeMessage(schema, json, registry));
}

const integerFields = new Set(["vcpus", "memory_mib", "memoryMib", "disk_mib", "diskMib", "step_timeout_seconds", "stepTimeoutSeconds"]);
const textFields = new Set(["name", "recipe"]);

/** One multipart text field into the spec's JSON (snake_case or camelCase names, as proto JSON takes them). */
export function addFormField(spec: JsonObject, name: string, value: string): void {
  if (Object.hasOwn(spec, name)) throw gatewayErrors.invalidArgument(`field ${JSON.stringify(name.slice(0, 64))} is given twice`);
  if (textFields.has(name)) spec[name] = value;
  else if (integerFields.has(name)) {
    if (!/^\d{1,10}$/.test(value.trim())) throw gatewayErrors.invalidArgument(`field ${name} must be a non-negative integer`);
    spec[name] = Number(value.trim());
  } else if (name === "platform") {
    if (value !== "true" && value !== "false") throw gatewayErrors.invalidArgument("field platform must be true or false");
    spec[name] = value === "true";
  } else {
    throw gatewayErrors.invalidArgument(`unknown field ${JSON.stringify(name.slice(0, 64))} (fields: name, recipe, vcpus, memory_mib, disk_mib, platform, step_timeout_seconds; the archive as a file part "archive")`);
  }
}

/** The answer, as the transcoded routes render messages (proto JSON, defaults shown). */
export function responseJson(bytes: Uint8Array): JsonValue {
  const { schema, registry } = schemaOf("wrenn.api.v1.CreateBuildResponse");
  return decodeMessage(schema, bytes, registry);
}

export { CreateBuildResponse };
