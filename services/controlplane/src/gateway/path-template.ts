/**
 * google.api.http path templates:
 *
 *   Template = "/" Segments [ Verb ] ;
 *   Segments = Segment { "/" Segment } ;
 *   Segment  = "*" | "**" | LITERAL | Variable ;
 *   Variable = "{" FieldPath [ "=" Segments ] "}" ;
 *   Verb     = ":" LITERAL ;
 *
 * A template compiles to a flat list of segment matchers plus the variables
 * that span ranges of them, so matching a request path is a single pass.
 */

export type SegmentMatcher =
  | { kind: "literal"; value: string }
  | { kind: "single" } // "*": exactly one segment
  | { kind: "multi" }; // "**": zero or more segments, only last

export interface TemplateVariable {
  /** Field path, e.g. ["sandbox_id"] or ["parent", "name"]. */
  fieldPath: string[];
  /** Index of the first segment the variable covers. */
  start: number;
  /** Index one past the last segment it covers. */
  end: number;
}

export interface PathTemplate {
  source: string;
  segments: SegmentMatcher[];
  variables: TemplateVariable[];
  verb?: string;
  /** OpenAPI-style path: variables as "{field.path}". */
  openApiPath: string;
}

export class TemplateSyntaxError extends Error {}

export function parsePathTemplate(source: string): PathTemplate {
  if (!source.startsWith("/")) throw new TemplateSyntaxError(`template "${source}" must start with "/"`);
  let rest = source.slice(1);
  let verb: string | undefined;
  // The verb is a ":" after the last "/" that is not inside braces.
  const lastSlash = rest.lastIndexOf("/");
  const lastClose = rest.lastIndexOf("}");
  const colon = rest.indexOf(":", Math.max(lastSlash, lastClose) + 1);
  if (colon >= 0) {
    verb = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }

  const segments: SegmentMatcher[] = [];
  const variables: TemplateVariable[] = [];
  const openApiParts: string[] = [];
  let i = 0;
  const readUntil = (stops: string): string => {
    const from = i;
    while (i < rest.length && !stops.includes(rest[i])) i++;
    return rest.slice(from, i);
  };
  const pushPlain = (text: string): void => {
    if (text === "*") segments.push({ kind: "single" });
    else if (text === "**") segments.push({ kind: "multi" });
    else if (text.length === 0) throw new TemplateSyntaxError(`empty segment in "${source}"`);
    else segments.push({ kind: "literal", value: text });
  };

  while (i <= rest.length) {
    if (rest[i] === "{") {
      i++;
      const fieldPath = readUntil("=}");
      const start = segments.length;
      if (rest[i] === "=") {
        i++;
        const inner = readUntil("}");
        for (const part of inner.split("/")) pushPlain(part);
      } else {
        segments.push({ kind: "single" });
      }
      if (rest[i] !== "}") throw new TemplateSyntaxError(`unclosed variable in "${source}"`);
      i++;
      if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(fieldPath)) {
        throw new TemplateSyntaxError(`bad field path "${fieldPath}" in "${source}"`);
      }
      variables.push({ fieldPath: fieldPath.split("."), start, end: segments.length });
      openApiParts.push(`{${fieldPath}}`);
    } else {
      const text = readUntil("/");
      pushPlain(text);
      openApiParts.push(text);
    }
    if (i >= rest.length) break;
    if (rest[i] !== "/") throw new TemplateSyntaxError(`unexpected "${rest[i]}" in "${source}"`);
    i++;
  }

  const multiAt = segments.findIndex((s) => s.kind === "multi");
  if (multiAt >= 0 && multiAt !== segments.length - 1) {
    throw new TemplateSyntaxError(`"**" must be the last segment in "${source}"`);
  }
  return {
    source,
    segments,
    variables,
    verb,
    openApiPath: "/" + openApiParts.join("/") + (verb ? `:${verb}` : ""),
  };
}

/**
 * Matches a raw (still percent-encoded) request path. Returns the variable
 * values by dotted field path, or undefined when the path does not match.
 * Throws URIError on malformed percent-encoding.
 */
export function matchPathTemplate(template: PathTemplate, rawPath: string): Map<string, string> | undefined {
  if (!rawPath.startsWith("/")) return undefined;
  let path = rawPath.slice(1);
  if (template.verb !== undefined) {
    const suffix = `:${template.verb}`;
    if (!path.endsWith(suffix)) return undefined;
    path = path.slice(0, -suffix.length);
  }
  const parts = path.split("/");
  const { segments } = template;
  const hasMulti = segments.length > 0 && segments[segments.length - 1].kind === "multi";
  if (hasMulti ? parts.length < segments.length - 1 : parts.length !== segments.length) return undefined;

  for (let s = 0; s < segments.length; s++) {
    const seg = segments[s];
    if (seg.kind === "multi") break;
    const part = parts[s];
    if (seg.kind === "literal" && part !== seg.value) return undefined;
    if (seg.kind === "single" && part.length === 0) return undefined;
  }

  const values = new Map<string, string>();
  for (const v of template.variables) {
    const end = v.end === segments.length && hasMulti ? parts.length : v.end;
    // Single-segment variables decode everything; multi-segment ones keep "/"
    // as the separator (reserved expansion), decoding each segment.
    const decoded = parts.slice(v.start, end).map((p) => decodeURIComponent(p));
    values.set(v.fieldPath.join("."), decoded.join("/"));
  }
  return values;
}

/** Orders templates so that more specific ones are tried first (literals beat variables). */
export function compareSpecificity(a: PathTemplate, b: PathTemplate): number {
  const rank = (s: SegmentMatcher | undefined): number =>
    s === undefined ? -1 : s.kind === "literal" ? 2 : s.kind === "single" ? 1 : 0;
  const n = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i < n; i++) {
    const diff = rank(b.segments[i]) - rank(a.segments[i]);
    if (diff !== 0) return diff;
  }
  return (b.verb ? 1 : 0) - (a.verb ? 1 : 0);
}
