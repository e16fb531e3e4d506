import { descriptorSetBase64 } from "@wrenn/gen/descriptor.js";
import { buildRouteTable, loadRegistry } from "../gateway/routes.js";

/**
 * The gRPC methods a browser session may call without a CSRF token: those
 * whose every google.api.http binding is GET (reads). The rule comes from the
 * descriptor, not from the request, so it is the same over gRPC and HTTP and
 * no client-sent header can claim "this was a GET".
 */
export function csrfSafeMethods(descriptor = descriptorSetBase64, packagePrefix = "wrenn.api.v1"): ReadonlySet<string> {
  const byPath = new Map<string, boolean>();
  for (const route of buildRouteTable(loadRegistry(descriptor), packagePrefix).routes) {
    byPath.set(route.grpcPath, (byPath.get(route.grpcPath) ?? true) && route.httpMethod === "GET");
  }
  return new Set([...byPath].filter(([, safe]) => safe).map(([path]) => path));
}
