import { ScalarType, type DescField, type DescMessage } from "@bufbuild/protobuf";
import type { FuzzTargets } from "./live-stack.js";

/**
 * Connect-JSON request bodies for one E2B request message, from its
 * descriptor: a baseline naming real things (paths under /tmp, the tagged
 * process), and that baseline with one field (at any depth) replaced by a
 * hostile JSON value: wrong types, huge strings, bad base64, numbers past
 * every integer range, enum names and numbers that do not exist.
 */

/** Raw JSON texts, spliced in as they are (JSON.stringify cannot write 2^64 or -0 as literals). */
const hostileJson: string[] = [
  '""',
  JSON.stringify("x".repeat(1024 * 1024)),
  JSON.stringify("𝑻".repeat(40)),
  '"\\u0000"',
  '"\\ud800"', // a lone surrogate escape
  '"../../../../tmp/fuzz-traversal"',
  "0",
  "-1",
  "1.5",
  "-0",
  "1e308",
  "18446744073709551616",
  "-9223372036854775809",
  '"18446744073709551616"',
  '"-1"',
  "true",
  "null",
  "[]",
  "{}",
  '[1,"a",null]',
  '{"a":{"b":[]}}',
  '"!!! not base64 ~~~"',
  '"QUJD="', // base64 with a bad pad
  '"NOT_A_NAME"',
  "999",
  "2147483648",
];

const sentinel = "\u0001RAW\u0001";

export interface JsonCase {
  label: string;
  body(t: FuzzTargets): Buffer;
}

export function jsonCasesFor(message: DescMessage): JsonCase[] {
  const cases: JsonCase[] = [{ label: "json baseline", body: (t) => Buffer.from(JSON.stringify(baselineJson(message, t, 0))) }];
  for (const path of fieldPaths(message, [], 0)) {
    const name = path.map((f) => f.jsonName).join(".");
    for (const raw of hostileJson) {
      cases.push({ label: `json ${name}=${raw.slice(0, 24)}`, body: (t) => withRaw(message, path, t, raw) });
    }
  }
  cases.push({ label: "json unknown field", body: (t) => Buffer.from(JSON.stringify({ ...baselineJson(message, t, 0), noSuchField: [1, { x: 2 }] })) });
  cases.push({
    label: "json 100000 unknown fields",
    body: () => Buffer.from(`{${Array.from({ length: 100_000 }, (_, i) => `"f${i}":${i}`).join(",")}}`),
  });
  return cases;
}

/** Bodies that are not this message's JSON at all. */
export const malformedJson: [string, Buffer][] = [
  ["json empty", Buffer.alloc(0)],
  ["json {", Buffer.from("{")],
  ["json null", Buffer.from("null")],
  ["json array", Buffer.from("[]")],
  ["json string", Buffer.from('"x"')],
  ["json number", Buffer.from("42")],
  ["json trailing garbage", Buffer.from("{} {}")],
  ["json BOM", Buffer.from("\ufeff{}")],
  ["json bad UTF-8", Buffer.from([0x7b, 0x22, 0x70, 0x61, 0x74, 0x68, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0xff, 0x22, 0x7d])],
  ["json 200000 deep", Buffer.from(`${"[".repeat(200_000)}${"]".repeat(200_000)}`)],
  ["json 200000 deep objects", Buffer.from(`${'{"a":'.repeat(200_000)}1${"}".repeat(200_000)}`)],
  ["json duplicate keys", Buffer.from('{"path":"/tmp/a","path":"/tmp/b"}')],
  ["json NaN", Buffer.from('{"x":NaN}')],
  ["json 8 MiB string", Buffer.from(`{"path":"${"y".repeat(8 * 1024 * 1024)}"}`)],
];

function withRaw(message: DescMessage, path: DescField[], t: FuzzTargets, raw: string): Buffer {
  const root = baselineJson(message, t, 0);
  let node = root;
  for (const field of path.slice(0, -1)) {
    const next = node[field.jsonName];
    node = (next && typeof next === "object" && !Array.isArray(next) ? next : (node[field.jsonName] = {})) as Record<string, unknown>;
  }
  node[path[path.length - 1]!.jsonName] = sentinel;
  return Buffer.from(JSON.stringify(root).replace(JSON.stringify(sentinel), raw));
}

function fieldPaths(message: DescMessage, prefix: DescField[], depth: number): DescField[][] {
  const out: DescField[][] = [];
  for (const field of message.fields) {
    const path = [...prefix, field];
    out.push(path);
    if (field.fieldKind === "message" && depth < 2) out.push(...fieldPaths(field.message, path, depth + 1));
  }
  return out;
}

export function baselineJson(message: DescMessage, t: FuzzTargets, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const oneofsDone = new Set<unknown>();
  for (const field of message.fields) {
    if (field.oneof) {
      if (oneofsDone.has(field.oneof)) continue;
      oneofsDone.add(field.oneof);
    }
    const value = plausible(field, t, depth);
    if (value !== undefined) out[field.jsonName] = value;
  }
  return out;
}

/** A value naming real, harmless things (paths under /tmp, the tagged process, `true` as a command). */
function plausible(field: DescField, t: FuzzTargets, depth: number): unknown {
  if (field.fieldKind === "message") return depth < 2 ? baselineJson(field.message, t, depth + 1) : undefined;
  if (field.fieldKind !== "scalar") return undefined;
  if (field.scalar === ScalarType.STRING) {
    if (field.name === "path" || field.name === "source" || field.name === "destination") return `/tmp/fuzz-envd-${field.name}`;
    if (field.name === "cmd") return "true";
    if (field.name === "tag") return t.processTag;
    return undefined;
  }
  if (field.scalar === ScalarType.BYTES) return Buffer.from("fuzz\n").toString("base64");
  if (field.name === "pid") return t.processPid;
  if (field.name === "rows") return 24;
  if (field.name === "cols") return 80;
  return undefined;
}
