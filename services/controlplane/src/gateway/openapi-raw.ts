import type { Schema } from "./openapi-schemas.js";
import type { RoutedRawRoute } from "./raw-routes.js";

/**
 * The credentials every operation but the open ones takes: an API key as a
 * bearer token or in X-API-Key (the session cookie works too, with its CSRF
 * header, but a browser sends that by itself).
 */
export const securityComponents = {
  bearer: { type: "http", scheme: "bearer", description: "An API key (wrn_…): Authorization: Bearer <key>" },
  apiKey: { type: "apiKey", in: "header", name: "X-API-Key", description: "An API key (wrn_…) in the X-API-Key header" },
};

/** `security` of an operation: either scheme, or none for an open one. */
export function securityOf(open: boolean): { security: Record<string, string[]>[] } {
  return { security: open ? [] : [{ bearer: [] }, { apiKey: [] }] };
}

const errorResponse = {
  description: "Error: the gateway's JSON status body, its HTTP status from one table (400, 401, 404, 405, 409, 413, …)",
  content: { "application/json": { schema: { $ref: "#/components/schemas/Status" } } },
};

/**
 * A raw route's operation: its own object with the path parameters first
 * (replacing any it declared by the same name), a default error response
 * unless it declared one, and the credentials unless it says otherwise.
 */
export function rawOperation(raw: RoutedRawRoute, pathParameters: Schema[]): Record<string, unknown> {
  const declared = raw.raw.openapi;
  const names = new Set(pathParameters.map((p) => p.name as string));
  const own = ((declared.parameters as Schema[] | undefined) ?? []).filter((p) => !(p.in === "path" && names.has(p.name as string)));
  const responses = { ...((declared.responses as Record<string, unknown> | undefined) ?? {}) };
  responses.default ??= errorResponse;
  return {
    operationId: operationIdOf(raw),
    ...securityOf(false),
    ...declared,
    parameters: [...pathParameters, ...own],
    responses,
  };
}

/** "GET /v1/sandboxes/{sandbox_id}/files" → "getV1SandboxesSandboxIdFiles", when the route names none. */
function operationIdOf(raw: RoutedRawRoute): string {
  const words = raw.template.source.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return raw.httpMethod.toLowerCase() + words.map((w) => w[0].toUpperCase() + w.slice(1)).join("");
}
