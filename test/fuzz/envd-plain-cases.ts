import { gzipSync } from "node:zlib";
import { e2bId, gzipBomb, sdkHeaders, wrongToken, type EnvdCase, type EnvdContext } from "./envd-cases.js";

/**
 * Fuzz requests for envd's plain routes on the E2B face: `GET /health`,
 * `GET` / `POST /files` (multipart, octet-stream, gzip), with bad bodies,
 * bad queries, traversal paths, wrong methods and wrong credentials.
 * Uploads write only under /tmp (or relative to the home) of the fuzz
 * sandbox, and at most 64 MiB each.
 */

const boundary = "fuzzboundary7MA4YWxkTrZu0gW";
const part = (headers: string, body: string | Buffer): Buffer =>
  Buffer.concat([Buffer.from(`--${boundary}\r\n${headers}\r\n\r\n`), Buffer.from(body), Buffer.from("\r\n")]);
const closing = Buffer.from(`--${boundary}--\r\n`);
const filePart = (filename: string, body: string | Buffer = "fuzz\n"): Buffer =>
  part(`Content-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/octet-stream`, body);
const multipart = `multipart/form-data; boundary=${boundary}`;

function files(label: string, method: string, query: string, headers: Record<string, string>, body?: Buffer | "endless"): EnvdCase {
  return (ctx) => ({ label: `/files ${label}`, method, path: `/files${query}`, headers: sdkHeaders(ctx, headers), body, kind: "plain" });
}

const q = (params: [string, string][]): string => `?${params.map(([k, v]) => `${k}=${v}`).join("&")}`;

export function plainCases(): EnvdCase[] {
  const out: EnvdCase[] = [];
  // GET /files: queries.
  const downloads: [string, string][] = [
    ["a missing file", q([["path", "/tmp/fuzz-no-such-file"]])],
    ["a directory", q([["path", "/tmp"]])],
    ["no path", ""],
    ["empty path", q([["path", ""]])],
    ["path twice", q([["path", "/tmp/a"], ["path", "/tmp/b"]])],
    ["username twice", q([["path", "/tmp/a"], ["username", "root"], ["username", "user"]])],
    ["unknown user", q([["path", "/tmp/a"], ["username", "fuzz-no-such-user"]])],
    ["huge username", q([["path", "/tmp/a"], ["username", "u".repeat(8000)]])],
    ["traversal", q([["path", "../../../../../../etc/hostname"]])],
    ["encoded traversal", q([["path", "%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fhostname"]])],
    ["NUL in path", q([["path", "/tmp/a%00b"]])],
    ["bad percent", q([["path", "/tmp/%zz%"]])],
    ["bad UTF-8", q([["path", "/tmp/%ff%fe%ed%a0%80"]])],
    ["huge path", q([["path", `/tmp/${"p".repeat(12_000)}`]])],
    ["deep path", q([["path", `/tmp/${"d/".repeat(3000)}f`]])],
    ["1000 parameters", q(Array.from({ length: 1000 }, (_, i): [string, string] => [`k${i}`, "v"]))],
    ["signature junk", q([["path", "/tmp/a"], ["signature", "v1_!!"], ["signature_expiration", "-1e999"]])],
  ];
  for (const [label, query] of downloads) out.push(files(`GET ${label}`, "GET", query, {}));

  // POST /files: multipart.
  const to = q([["path", "/tmp/fuzz-envd-upload"]]);
  const uploads: [string, string, Record<string, string>, Buffer | "endless"][] = [
    ["multipart valid", "", { "content-type": multipart }, Buffer.concat([filePart("/tmp/fuzz-envd-mp"), closing])],
    ["multipart no boundary", "", { "content-type": "multipart/form-data" }, Buffer.concat([filePart("/tmp/fuzz-envd-mp"), closing])],
    ["multipart empty boundary", "", { "content-type": "multipart/form-data; boundary=" }, Buffer.from("--\r\n\r\n--")],
    ["multipart wrong boundary", "", { "content-type": "multipart/form-data; boundary=other" }, Buffer.concat([filePart("/tmp/fuzz-envd-mp"), closing])],
    ["multipart 200-char boundary", "", { "content-type": `multipart/form-data; boundary=${"b".repeat(200)}` }, Buffer.from(`--${"b".repeat(200)}--\r\n`)],
    ["multipart cut", "", { "content-type": multipart }, filePart("/tmp/fuzz-envd-mp").subarray(0, 60)],
    ["multipart no closing", "", { "content-type": multipart }, filePart("/tmp/fuzz-envd-mp")],
    ["multipart empty", "", { "content-type": multipart }, Buffer.alloc(0)],
    ["multipart only closing", "", { "content-type": multipart }, closing],
    ["multipart no filename", "", { "content-type": multipart }, Buffer.concat([part('Content-Disposition: form-data; name="file"', "x"), closing])],
    ["multipart other name", "", { "content-type": multipart }, Buffer.concat([part('Content-Disposition: form-data; name="nope"; filename="/tmp/fuzz-envd-x"', "x"), closing])],
    ["multipart no disposition", "", { "content-type": multipart }, Buffer.concat([part("Content-Type: text/plain", "x"), closing])],
    ["multipart traversal filename", "", { "content-type": multipart }, Buffer.concat([filePart("../../../../tmp/fuzz-envd-escape"), closing])],
    ["multipart NUL filename", "", { "content-type": multipart }, Buffer.concat([filePart("/tmp/fuzz\u0000envd"), closing])],
    ["multipart bad UTF-8 filename", "", { "content-type": multipart }, Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="/tmp/\xff\xfe"\r\n\r\nx\r\n`, "latin1"), closing])],
    ["multipart huge filename", "", { "content-type": multipart }, Buffer.concat([filePart(`/tmp/${"f".repeat(20_000)}`), closing])],
    ["multipart 50 parts", "", { "content-type": multipart }, Buffer.concat([...Array.from({ length: 50 }, (_, i) => filePart(`/tmp/fuzz-envd-many/${i}`)), closing])],
    ["multipart path query", to, { "content-type": multipart }, Buffer.concat([filePart("ignored"), closing])],
    ["multipart gzip garbage", "", { "content-type": multipart, "content-encoding": "gzip" }, Buffer.from([0x1f, 0x8b, 0x08, 0, 1, 2, 3])],
    ["multipart base64 part", "", { "content-type": multipart }, Buffer.concat([part('Content-Disposition: form-data; name="file"; filename="/tmp/fuzz-envd-b64"\r\nContent-Transfer-Encoding: base64', "!!!"), closing])],
    ["multipart nested", "", { "content-type": multipart }, Buffer.concat([part(`Content-Disposition: form-data; name="file"; filename="/tmp/fuzz-envd-n"\r\nContent-Type: ${multipart}`, Buffer.concat([filePart("/tmp/x"), closing])), closing])],
    ["octet valid", to, { "content-type": "application/octet-stream" }, Buffer.from("fuzz\n")],
    ["octet no path", "", { "content-type": "application/octet-stream" }, Buffer.from("fuzz\n")],
    ["octet path twice", `${to}&path=/tmp/b`, { "content-type": "application/octet-stream" }, Buffer.from("fuzz\n")],
    ["octet traversal", q([["path", "../../../../tmp/fuzz-envd-escape2"]]), { "content-type": "application/octet-stream" }, Buffer.from("x")],
    ["octet into a directory", q([["path", "/tmp"]]), { "content-type": "application/octet-stream" }, Buffer.from("x")],
    ["octet gzip valid", to, { "content-type": "application/octet-stream", "content-encoding": "gzip" }, gzipSync("fuzz\n")],
    ["octet gzip garbage", to, { "content-type": "application/octet-stream", "content-encoding": "gzip" }, Buffer.from([0x1f, 0x8b, 0x08, 0, 9, 9, 9, 9, 9])],
    ["octet gzip cut", to, { "content-type": "application/octet-stream", "content-encoding": "gzip" }, gzipSync("fuzz\n".repeat(1000)).subarray(0, 20)],
    ["octet gzip of plain text", to, { "content-type": "application/octet-stream", "content-encoding": "gzip" }, Buffer.from("not gzip at all")],
    ["octet gzip bomb (64 MiB)", to, { "content-type": "application/octet-stream", "content-encoding": "gzip" }, gzipBomb()],
    ["octet gzip twice", to, { "content-type": "application/octet-stream", "content-encoding": "gzip, gzip" }, gzipSync(gzipSync("x"))],
    ["octet br", to, { "content-type": "application/octet-stream", "content-encoding": "br" }, Buffer.from("x")],
    ["octet unknown encoding", to, { "content-type": "application/octet-stream", "content-encoding": "x-fuzz" }, Buffer.from("x")],
    ["octet metadata header", to, { "content-type": "application/octet-stream", "x-metadata-a": "b" }, Buffer.from("x")],
    ["text/plain body", to, { "content-type": "text/plain" }, Buffer.from("x")],
    ["no content-type", to, {}, Buffer.from("x")],
    ["json body", to, { "content-type": "application/json" }, Buffer.from("{}")],
  ];
  for (const [label, query, headers, body] of uploads) out.push(files(`POST ${label}`, "POST", query, headers, body));
  for (const method of ["PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "FUZZ"]) out.push(files(method, method, to, {}, Buffer.from("x")));

  // /health and what is not a route.
  const plain = (label: string, method: string, path: string, headers: (ctx: EnvdContext) => Record<string, string>): EnvdCase => (ctx) => ({
    label,
    method,
    path,
    headers: headers(ctx),
    kind: "plain",
  });
  out.push(plain("GET /health", "GET", "/health", (ctx) => sdkHeaders(ctx)));
  out.push(plain("HEAD /health", "HEAD", "/health", (ctx) => sdkHeaders(ctx)));
  out.push(plain("POST /health", "POST", "/health", (ctx) => sdkHeaders(ctx)));
  out.push(plain("GET /health?x", "GET", "/health?x=%zz&x=1", (ctx) => sdkHeaders(ctx)));
  out.push(plain("GET /nothing", "GET", "/nothing/../files", (ctx) => sdkHeaders(ctx)));
  out.push(plain("GET //files", "GET", "//files?path=/tmp/a", (ctx) => sdkHeaders(ctx)));
  out.push(plain("GET * ", "OPTIONS", "*", (ctx) => sdkHeaders(ctx)));

  // Credentials on both routes (/health answers 502 for them, documented: nothing tells a caller which ids exist).
  const creds: [string, (ctx: EnvdContext) => Record<string, string>][] = [
    ["no token", (ctx) => ({ "e2b-sandbox-id": e2bId(ctx.targets.sandboxId) })],
    ["wrong token", (ctx) => ({ "e2b-sandbox-id": e2bId(ctx.targets.sandboxId), "x-access-token": wrongToken })],
    ["another sandbox's id", (ctx) => ({ "e2b-sandbox-id": e2bId(ctx.otherSandboxId), "x-access-token": ctx.token })],
    ["another sandbox's host", (ctx) => ({ host: `49983-${e2bId(ctx.otherSandboxId)}.localhost`, "x-access-token": ctx.token })],
    ["an id of nothing", (ctx) => ({ "e2b-sandbox-id": `sb${"f".repeat(32)}`, "x-access-token": ctx.token })],
    ["a garbage id", (ctx) => ({ "e2b-sandbox-id": "\u00ff".repeat(3000), "x-access-token": ctx.token })],
  ];
  for (const [label, headers] of creds) {
    for (const [route, method, path, body] of [
      ["GET /health", "GET", "/health", undefined],
      ["GET /files", "GET", "/files?path=/etc/hostname", undefined],
      ["POST /files", "POST", "/files?path=/tmp/fuzz-envd-refused", Buffer.from("x")],
    ] as const) {
      out.push((ctx) => ({
        label: `${route}: ${label}`,
        method,
        path,
        headers: { ...headers(ctx), ...(body ? { "content-type": "application/octet-stream" } : {}) },
        body,
        kind: "plain",
        refused: true,
      }));
    }
  }
  return out;
}
