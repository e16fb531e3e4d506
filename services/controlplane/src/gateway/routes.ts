import {
  createFileRegistry,
  fromBinary,
  getOption,
  hasOption,
  type DescExtension,
  type DescMessage,
  type DescMethod,
  type FileRegistry,
} from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { parsePathTemplate, compareSpecificity, type PathTemplate } from "./path-template.js";

/** The shape of google.api.HttpRule as @bufbuild/protobuf hands it back (no generated code for it). */
interface HttpRuleLike {
  pattern: { case: string | undefined; value?: unknown };
  body: string;
  responseBody: string;
  additionalBindings: HttpRuleLike[];
}

export type StreamKind = "unary" | "server_streaming" | "client_streaming" | "bidi_streaming";

export interface Route {
  /** "GET", "POST", … */
  httpMethod: string;
  template: PathTemplate;
  /** "" (no body: query parameters), "*" (whole request) or a top-level field name. */
  body: string;
  /** gRPC path, "/wrenn.api.v1.SandboxService/GetSandbox". */
  grpcPath: string;
  method: DescMethod;
  input: DescMessage;
  output: DescMessage;
  kind: StreamKind;
  /** The registry of the descriptor set the route came from (JSON of Any and extensions resolves in it). */
  registry: FileRegistry;
}

export interface RouteTable {
  registry: FileRegistry;
  routes: Route[];
  /** Methods with an http rule that cannot be served over plain HTTP (bidi streams). */
  skipped: string[];
}

/** Reads a base64 FileDescriptorSet (with imports) into a registry. */
export function loadRegistry(descriptorSetBase64: string): FileRegistry {
  const set = fromBinary(FileDescriptorSetSchema, Buffer.from(descriptorSetBase64, "base64"));
  return createFileRegistry(set);
}

/**
 * Every method of every service in `packagePrefix` (or a sub-package) that
 * carries a google.api.http rule becomes a route; additional_bindings too.
 */
export function buildRouteTable(registry: FileRegistry, packagePrefix: string): RouteTable {
  const httpExt = registry.getExtension("google.api.http") as DescExtension | undefined;
  if (!httpExt) throw new Error("descriptor set lacks google/api/annotations.proto (google.api.http)");
  const routes: Route[] = [];
  const skipped: string[] = [];
  for (const file of registry.files) {
    const pkg = file.proto.package;
    if (pkg !== packagePrefix && !pkg.startsWith(packagePrefix + ".")) continue;
    for (const service of file.services) {
      for (const method of service.methods) {
        if (!hasOption(method, httpExt)) continue;
        const rule = getOption(method, httpExt) as unknown as HttpRuleLike;
        const grpcPath = `/${service.typeName}/${method.name}`;
        if (method.methodKind === "bidi_streaming") {
          skipped.push(grpcPath);
          continue;
        }
        for (const binding of [rule, ...rule.additionalBindings]) {
          routes.push(routeFromRule(binding, method, grpcPath, registry));
        }
      }
    }
  }
  routes.sort((a, b) => compareSpecificity(a.template, b.template));
  return { registry, routes, skipped };
}

/** Several APIs' routes as one list, in specificity order (the router's precondition). */
export function mergeRoutes(tables: RouteTable[]): Route[] {
  return tables.flatMap((table) => table.routes).sort((a, b) => compareSpecificity(a.template, b.template));
}

function routeFromRule(rule: HttpRuleLike, method: DescMethod, grpcPath: string, registry: FileRegistry): Route {
  let httpMethod: string;
  let path: string;
  const { pattern } = rule;
  if (pattern.case === "custom") {
    const custom = pattern.value as { kind: string; path: string };
    httpMethod = custom.kind.toUpperCase();
    path = custom.path;
  } else if (pattern.case && typeof pattern.value === "string") {
    httpMethod = pattern.case.toUpperCase();
    path = pattern.value;
  } else {
    throw new Error(`${grpcPath}: http rule without a pattern`);
  }
  const template = parsePathTemplate(path);
  if (rule.body !== "" && rule.body !== "*" && !method.input.fields.some((f) => f.name === rule.body)) {
    throw new Error(`${grpcPath}: body field "${rule.body}" not in ${method.input.typeName}`);
  }
  return {
    httpMethod,
    template,
    body: rule.body,
    grpcPath,
    method,
    input: method.input,
    output: method.output,
    kind: method.methodKind,
    registry,
  };
}
