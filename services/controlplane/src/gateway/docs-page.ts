import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/**
 * /docs: the real Swagger UI (the pinned npm package swagger-ui-dist, its
 * files served from node_modules: nothing comes from a CDN) over
 * /openapi.json. The page and its start script are ours, so no inline
 * script is needed and the content security policy can forbid them.
 */

export interface DocsFile {
  contentType: string;
  body: Buffer;
}

export interface DocsAssets {
  /** A file under /docs/ ("" for the page itself), or undefined when there is none by that name. */
  file(name: string): Promise<DocsFile | undefined>;
}

/** The only files of the package served, by name (no path from the request ever reaches the file system). */
const packageFiles: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "favicon-32x32.png": "image/png",
  "favicon-16x16.png": "image/png",
};

/** Styles inline in Swagger UI's own markup need 'unsafe-inline'; scripts come from this origin only. */
export const docsContentSecurityPolicy =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'";

const require = createRequire(import.meta.url);

export function createDocsAssets(title: string): DocsAssets {
  const root = dirname(require.resolve("swagger-ui-dist/package.json"));
  const cache = new Map<string, Promise<DocsFile>>();
  const own: Record<string, DocsFile> = {
    "": { contentType: "text/html; charset=utf-8", body: Buffer.from(page(title)) },
    "init.js": { contentType: "text/javascript; charset=utf-8", body: Buffer.from(initScript) },
  };
  return {
    async file(name) {
      if (own[name]) return own[name];
      const contentType = packageFiles[name];
      if (!contentType) return undefined;
      let loaded = cache.get(name);
      if (!loaded) {
        loaded = readFile(join(root, name)).then((body) => ({ contentType, body }));
        // A failed read is retried next time rather than remembered.
        loaded.catch(() => cache.delete(name));
        cache.set(name, loaded);
      }
      return loaded;
    },
  };
}

// Relative URLs: the page is /docs/ and works under a reverse proxy's path prefix too.
function page(title: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="swagger-ui.css">
<link rel="icon" type="image/png" href="favicon-32x32.png" sizes="32x32">
<link rel="icon" type="image/png" href="favicon-16x16.png" sizes="16x16">
</head><body>
<div id="swagger-ui"></div>
<script src="swagger-ui-bundle.js"></script>
<script src="init.js"></script>
</body></html>
`;
}

// Authorize (the lock) takes an API key as a bearer token or as X-API-Key; try-it-out then sends it.
const initScript = `window.ui = SwaggerUIBundle({
  url: new URL("../openapi.json", window.location.href).href,
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
  displayOperationId: true,
  showExtensions: true,
  validatorUrl: null
});
`;

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
