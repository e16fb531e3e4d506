import type { Route } from "./routes.js";

/**
 * A small self-contained page listing the routes: no CDN is reachable for
 * Swagger UI, and the OpenAPI document is one link away.
 */
export function renderDocsPage(routes: Route[], title: string): string {
  const rows = routes
    .map((r) => {
      const kind = r.kind === "unary" ? "" : ` <small>(${r.kind.replace("_", " ")}, NDJSON)</small>`;
      return `<tr><td><code>${escape(r.httpMethod)}</code></td><td><code>${escape(r.template.source)}</code></td><td>${escape(
        r.grpcPath.slice(1),
      )}${kind}</td></tr>`;
    })
    .join("\n");
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}td{padding:.2rem .8rem;border-bottom:1px solid #ddd}</style>
</head><body>
<h1>${escape(title)}</h1>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.0).</p>
<table><thead><tr><th>Method</th><th>Path</th><th>RPC</th></tr></thead><tbody>
${rows}
</tbody></table></body></html>`;
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
