import { posix } from "node:path";

/**
 * The few types a browser or curl user expects to see right; everything
 * else is application/octet-stream (the download is offered as a file
 * either way: Content-Disposition is always attachment).
 */
const byExtension: Record<string, string> = {
  ".txt": "text/plain; charset=utf-8",
  ".log": "text/plain; charset=utf-8",
  ".md": "text/markdown; charset=utf-8",
  ".csv": "text/csv; charset=utf-8",
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".xml": "application/xml",
  ".yaml": "application/yaml",
  ".yml": "application/yaml",
  ".py": "text/x-python; charset=utf-8",
  ".sh": "text/x-shellscript; charset=utf-8",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".svg": "image/svg+xml",
  ".webp": "image/webp",
  ".pdf": "application/pdf",
  ".zip": "application/zip",
  ".gz": "application/gzip",
  ".tgz": "application/gzip",
  ".tar": "application/x-tar",
  ".wasm": "application/wasm",
};

export function contentType(path: string): string {
  return byExtension[posix.extname(path).toLowerCase()] ?? "application/octet-stream";
}

/**
 * `attachment` with the file's base name: a quoted ASCII fallback (RFC 6266)
 * and the exact name as RFC 8187 `filename*`, so no name can break the header.
 */
export function contentDisposition(path: string): string {
  const name = posix.basename(path) || "download";
  const fallback = name.replace(/[^\x20-\x7e]|["\\%]/g, "_");
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encodeRFC8187(name)}`;
}

function encodeRFC8187(value: string): string {
  return encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
