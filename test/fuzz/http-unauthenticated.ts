import type { FuzzTargets } from "./live-stack.js";

/**
 * Every operation of the live /openapi.json, called with no credential and
 * with a wrong key: each must answer 401 with `WWW-Authenticate: Bearer`
 * (never a 5xx, never the resource), except the operations that take no
 * credential. Schemathesis sends the stack's key on every request, so this is
 * where the gateway's refusals are fuzzed.
 */

/** Operations that answer without a credential (signup makes the account that gets one). */
const openOperations = new Set(["Signup"]);
const wrongKey = `wrn_${"A".repeat(43)}`;

export interface UnauthenticatedResult {
  sent: number;
  problems: string[];
}

interface OpenApi {
  paths: Record<string, Record<string, { operationId?: string }>>;
}

export async function probeUnauthenticated(baseUrl: string, targets: FuzzTargets): Promise<UnauthenticatedResult> {
  const spec = (await (await fetch(`${baseUrl}/openapi.json`)).json()) as OpenApi;
  const result: UnauthenticatedResult = { sent: 0, problems: [] };
  for (const [template, operations] of Object.entries(spec.paths)) {
    // Real ids where the path names a sandbox, so a missing check would reach it.
    const path = template.replace(/\{sandbox_?[iI]d\}/g, targets.sandboxId).replace(/\{[^}]+\}/g, "x");
    for (const [method, operation] of Object.entries(operations)) {
      if (openOperations.has(operation.operationId ?? "")) continue;
      for (const [label, headers] of [
        ["no key", {}],
        ["a wrong key", { authorization: `Bearer ${wrongKey}` }],
        ["a wrong x-api-key", { "x-api-key": wrongKey }],
      ] as const) {
        const response = await fetch(`${baseUrl}${path}`, {
          method: method.toUpperCase(),
          headers: { "content-type": "application/json", ...headers },
          body: method === "get" || method === "delete" ? undefined : "{}",
          signal: AbortSignal.timeout(30_000),
        }).catch((err: unknown) => err as Error);
        result.sent++;
        const what = `${method.toUpperCase()} ${template} with ${label}`;
        if (response instanceof Error) {
          result.problems.push(`${what}: ${response.message}`);
          continue;
        }
        const body = await response.text();
        if (response.status !== 401) result.problems.push(`${what}: HTTP ${response.status} (want 401): ${body.slice(0, 200)}`);
        else if (!/^Bearer\b/.test(response.headers.get("www-authenticate") ?? "")) result.problems.push(`${what}: 401 without WWW-Authenticate: Bearer`);
      }
    }
  }
  return result;
}
