import type { IncomingMessage } from "node:http";
import type { JsonValue } from "@bufbuild/protobuf";
import { readBody, parseJsonBody } from "../../gateway/body-reader.js";
import { e2bErrors } from "./e2b-error.js";

const bodyLimitBytes = 256 * 1024;
const bodyTimeoutMs = 30_000;
/** The longest timeout a request may ask for (E2B's own cap is 24 h); the native API applies its own limit below it. */
export const maxTimeoutSeconds = 7 * 24 * 3600;

type JsonObject = Record<string, JsonValue | undefined>;

/** A JSON object body, or {} for an empty one (the SDKs send `{}` or nothing where every field is optional). */
export async function readJsonObject(req: IncomingMessage): Promise<JsonObject> {
  const value = parseJsonBody(await readBody(req, bodyLimitBytes, bodyTimeoutMs));
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw e2bErrors.badRequest("the body must be a JSON object");
  return value as JsonObject;
}

/** Field readers: undefined (or null) is "not given"; any other wrong type is 400 naming the field. */
export const field = {
  string(body: JsonObject, name: string): string | undefined {
    const value = body[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "string") throw e2bErrors.badRequest(`${name} must be a string`);
    return value;
  },
  boolean(body: JsonObject, name: string): boolean | undefined {
    const value = body[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "boolean") throw e2bErrors.badRequest(`${name} must be a boolean`);
    return value;
  },
  /** Whole seconds, 0 to maxTimeoutSeconds. */
  timeout(body: JsonObject, name = "timeout"): number | undefined {
    const value = body[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > maxTimeoutSeconds) {
      throw e2bErrors.badRequest(`${name} must be a whole number of seconds from 0 to ${maxTimeoutSeconds}`);
    }
    return value;
  },
  /** An object of strings (metadata, envVars). */
  stringMap(body: JsonObject, name: string): Record<string, string> | undefined {
    const value = body[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "object" || Array.isArray(value)) throw e2bErrors.badRequest(`${name} must be an object of strings`);
    const out: Record<string, string> = {};
    for (const [key, item] of Object.entries(value)) {
      if (typeof item !== "string") throw e2bErrors.badRequest(`${name}.${key.slice(0, 64)} must be a string`);
      out[key] = item;
    }
    return out;
  },
  object(body: JsonObject, name: string): JsonObject | undefined {
    const value = body[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "object" || Array.isArray(value)) throw e2bErrors.badRequest(`${name} must be an object`);
    return value as JsonObject;
  },
};

export type { JsonObject };
