import { randomBytes } from "node:crypto";
import { ScalarType, type DescField, type DescMessage } from "@bufbuild/protobuf";
import type { FuzzTargets } from "./live-stack.js";
import { brokenVarints, bytesValues, fixed32Values, fixed64Values, stringValues, varintValues } from "./values.js";
import { WireType, fieldBytes, fieldFixed32, fieldFixed64, fieldVarint, tag, varint, wrongWireTypes } from "./wire.js";

/**
 * Fuzz cases for one request message type, built from its descriptor alone,
 * so a new method or field is fuzzed without edits. A case is a function of
 * the live targets (the sandbox may be replaced during the run) returning
 * the raw request bytes. Every case starts from a "baseline" request that
 * names real things (the sandbox, its tagged process, paths under /tmp), so
 * a mutation of one field reaches as deep as that field allows.
 */

export interface FuzzCase {
  label: string;
  bytes(targets: FuzzTargets): Buffer;
}

const maxDepth = 3;
/** Stands for the live targets where only the shape of the value list matters. */
const placeholder: FuzzTargets = { sandboxId: "sb-placeholder", processTag: "placeholder", processPid: 1 };

export function casesFor(message: DescMessage, others: DescMessage[]): FuzzCase[] {
  const cases: FuzzCase[] = [
    { label: "empty", bytes: () => Buffer.alloc(0) },
    { label: "baseline", bytes: (t) => baseline(message, t, 0) },
  ];
  for (const path of fieldPaths(message, [], 0)) {
    const field = path[path.length - 1];
    const name = path.map((f) => f.name).join(".");
    for (const [label, encode] of mutations(field)) {
      cases.push({ label: `${name}=${label}`, bytes: (t) => withField(message, path, 0, t, encode) });
    }
  }
  // Unknown field numbers under every wire type (proto3 keeps or skips them; nothing may break).
  for (const fieldNo of [999, 536_870_911]) {
    for (const junk of wrongWireTypes(fieldNo, -1)) {
      cases.push({ label: `unknown#${fieldNo}`, bytes: (t) => Buffer.concat([baseline(message, t, 0), junk]) });
    }
  }
  // Bytes that are not this message: garbage, cut-off requests, other methods' requests.
  for (const size of [1, 2, 7, 64, 4096]) cases.push({ label: `garbage(${size})`, bytes: () => randomBytes(size) });
  cases.push({ label: "truncated", bytes: (t) => cut(baseline(message, t, 0)) });
  cases.push({ label: "tag 0", bytes: () => Buffer.from([0x00, 0x01]) });
  cases.push({ label: "length past end", bytes: () => Buffer.concat([tag(1, WireType.bytes), varint(1_000_000n), Buffer.from("x")]) });
  cases.push({ label: "over 16 MiB", bytes: () => fieldBytes(1, Buffer.alloc(17 * 1024 * 1024, 0x61)) });
  for (const other of others.slice(0, 6)) {
    cases.push({ label: `a ${other.name}`, bytes: (t) => baseline(other, t, 0) });
  }
  return cases;
}

/** Every field reachable from the message, as paths of fields (nested messages up to a depth). */
function fieldPaths(message: DescMessage, prefix: DescField[], depth: number): DescField[][] {
  const out: DescField[][] = [];
  for (const field of message.fields) {
    const path = [...prefix, field];
    out.push(path);
    if (field.fieldKind === "message" && depth < maxDepth && !isWellKnown(field.message)) {
      out.push(...fieldPaths(field.message, path, depth + 1));
    }
  }
  return out;
}

/** The baseline message with the field at `path` replaced by `encode`'s bytes. */
function withField(message: DescMessage, path: DescField[], at: number, t: FuzzTargets, encode: Encoder): Buffer {
  const target = path[at];
  const parts: Buffer[] = [];
  for (const field of message.fields) {
    if (field.number !== target.number) {
      if (!(field.oneof && target.oneof === field.oneof)) parts.push(baselineField(field, t, at));
      continue;
    }
    if (at === path.length - 1) parts.push(encode(field.number, t));
    else parts.push(fieldBytes(field.number, withField((field as DescField & { message: DescMessage }).message, path, at + 1, t, encode)));
  }
  return Buffer.concat(parts);
}

export function baseline(message: DescMessage, t: FuzzTargets, depth: number): Buffer {
  const parts: Buffer[] = [];
  const oneofsDone = new Set<unknown>();
  for (const field of message.fields) {
    if (field.oneof) {
      if (oneofsDone.has(field.oneof)) continue;
      oneofsDone.add(field.oneof);
    }
    parts.push(baselineField(field, t, depth));
  }
  return Buffer.concat(parts);
}

/** A plausible value naming real things, chosen by field name where that tells what it is. */
function baselineField(field: DescField, t: FuzzTargets, depth: number): Buffer {
  switch (field.fieldKind) {
    case "scalar": {
      if (field.scalar === ScalarType.STRING) {
        const text = plausibleString(field.name, t);
        return text === undefined ? Buffer.alloc(0) : fieldBytes(field.number, Buffer.from(text));
      }
      if (field.scalar === ScalarType.BYTES) return fieldBytes(field.number, Buffer.from("fuzz\n"));
      if (isVarintScalar(field.scalar)) {
        const n = plausibleNumber(field.name, t);
        return n === 0n ? Buffer.alloc(0) : fieldVarint(field.number, n);
      }
      return Buffer.alloc(0);
    }
    case "message":
      if (depth >= maxDepth || isWellKnown(field.message)) return Buffer.alloc(0);
      return fieldBytes(field.number, baseline(field.message, t, depth + 1));
    default:
      return Buffer.alloc(0); // enums, lists and maps start at their defaults
  }
}

function plausibleString(name: string, t: FuzzTargets): string | undefined {
  if (name === "sandbox_id") return t.sandboxId;
  if (name === "tag" || name === "selector") return t.processTag;
  if (name === "path" || name === "source" || name === "destination") return `/tmp/fuzz-${name}`;
  if (name === "cmd") return "true";
  // An unknown template is refused at once: mutations of other fields do not start sandboxes.
  if (name === "template_id") return "fuzz-no-such-template";
  return undefined;
}

function plausibleNumber(name: string, t: FuzzTargets): bigint {
  if (name === "pid") return BigInt(t.processPid);
  if (name === "rows") return 24n;
  if (name === "cols") return 80n;
  return 0n;
}

type Encoder = (fieldNo: number, t: FuzzTargets) => Buffer;

/** Adversarial encodings of one field: right wire type with hostile values, then every wrong wire type. */
function mutations(field: DescField): [string, Encoder][] {
  const out: [string, Encoder][] = [];
  const own = ownWireType(field);
  const single = singleMutations(field);
  if (field.fieldKind === "list") {
    out.push(...single.map(([l, e]): [string, Encoder] => [`[${l}]`, e]));
    out.push(["huge repeated", (n, t) => repeated(n, 200_000, (i) => elementBytes(field, i, t))]);
    if (own === WireType.varint) out.push(["huge packed", (n) => fieldBytes(n, Buffer.alloc(2 * 1024 * 1024, 0x01))]);
  } else if (field.fieldKind === "map") {
    const entry = (key: Buffer, value: Buffer): Buffer => Buffer.concat([fieldBytes(1, key), value]);
    const valueOf = (t: FuzzTargets, i: number): Buffer => mapValue(field, t, i);
    out.push(["huge map", (n, t) => repeated(n, 50_000, (i) => fieldBytes(n, entry(Buffer.from(`k${i}`), valueOf(t, i))))]);
    for (const key of stringValues(placeholder)) {
      out.push([`key ${preview(key)}`, (n, t) => fieldBytes(n, entry(key, valueOf(t, 0)))]);
    }
    out.push(["entry garbage", (n) => fieldBytes(n, Buffer.from([0x08, 0xff, 0x12]))]);
  } else {
    out.push(...single);
  }
  for (const wrong of wrongWireTypes(0, own)) {
    out.push([`wire ${wrong[0] & 7}`, (n) => Buffer.concat([tag(n, wrong[0] & 7), wrong.subarray(1)])]);
  }
  return out;
}

function singleMutations(field: DescField): [string, Encoder][] {
  const kind = field.fieldKind === "list" ? field.listKind : field.fieldKind;
  if (kind === "message") {
    return [
      ["garbage", (n) => fieldBytes(n, Buffer.from([0xff, 0xff, 0xff]))],
      ["empty", (n) => fieldBytes(n, Buffer.alloc(0))],
    ];
  }
  if (kind === "enum") return varintValues.map((v): [string, Encoder] => [String(v), (n) => fieldVarint(n, v)]);
  const scalar = (field as { scalar: ScalarType }).scalar;
  if (scalar === ScalarType.STRING) {
    return stringEncoders();
  }
  if (scalar === ScalarType.BYTES) return bytesValues.map((b): [string, Encoder] => [`${b.length} bytes`, (n) => fieldBytes(n, b)]);
  if (isVarintScalar(scalar)) {
    return [
      ...varintValues.map((v): [string, Encoder] => [String(v), (n) => fieldVarint(n, v)]),
      ...brokenVarints.map((b, i): [string, Encoder] => [`broken varint ${i}`, (n) => Buffer.concat([tag(n, WireType.varint), b])]),
    ];
  }
  if (scalar === ScalarType.DOUBLE || scalar === ScalarType.FIXED64 || scalar === ScalarType.SFIXED64) {
    return fixed64Values.map((b, i): [string, Encoder] => [`fixed64 ${i}`, (n) => fieldFixed64(n, b)]);
  }
  return fixed32Values.map((b, i): [string, Encoder] => [`fixed32 ${i}`, (n) => fieldFixed32(n, b)]);
}

function stringEncoders(): [string, Encoder][] {
  const count = stringValues(placeholder).length;
  return Array.from({ length: count }, (_, i): [string, Encoder] => [
    `string#${i}`,
    (n, t) => fieldBytes(n, stringValues(t)[i]),
  ]);
}

function elementBytes(field: DescField, i: number, t: FuzzTargets): Buffer {
  const n = field.number;
  if (field.fieldKind !== "list") return Buffer.alloc(0);
  if (field.listKind === "message") return fieldBytes(n, Buffer.alloc(0));
  if (field.listKind === "enum") return fieldVarint(n, BigInt(i % 3));
  if (field.scalar === ScalarType.STRING || field.scalar === ScalarType.BYTES) return fieldBytes(n, Buffer.from(i % 2 ? "a" : t.processTag));
  return fieldVarint(n, BigInt(i));
}

function mapValue(field: DescField, t: FuzzTargets, i: number): Buffer {
  if (field.fieldKind !== "map") return Buffer.alloc(0);
  if (field.mapKind === "message") return fieldBytes(2, baseline(field.message, t, maxDepth));
  if (field.mapKind === "enum") return fieldVarint(2, BigInt(i % 3));
  return field.scalar === ScalarType.STRING || field.scalar === ScalarType.BYTES ? fieldBytes(2, Buffer.from("v")) : fieldVarint(2, 1n);
}

function repeated(_fieldNo: number, count: number, element: (i: number) => Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < count; i++) parts.push(element(i));
  return Buffer.concat(parts);
}

function ownWireType(field: DescField): number {
  const kind = field.fieldKind === "list" ? field.listKind : field.fieldKind;
  if (kind === "message" || field.fieldKind === "map") return WireType.bytes;
  if (kind === "enum") return WireType.varint;
  const scalar = (field as { scalar: ScalarType }).scalar;
  if (scalar === ScalarType.STRING || scalar === ScalarType.BYTES) return WireType.bytes;
  if (isVarintScalar(scalar)) return WireType.varint;
  if (scalar === ScalarType.DOUBLE || scalar === ScalarType.FIXED64 || scalar === ScalarType.SFIXED64) return WireType.fixed64;
  return WireType.fixed32;
}

function isVarintScalar(scalar: ScalarType): boolean {
  return [
    ScalarType.INT32,
    ScalarType.INT64,
    ScalarType.UINT32,
    ScalarType.UINT64,
    ScalarType.SINT32,
    ScalarType.SINT64,
    ScalarType.BOOL,
  ].includes(scalar);
}

function isWellKnown(message: DescMessage): boolean {
  return message.typeName.startsWith("google.protobuf.");
}

function cut(bytes: Buffer): Buffer {
  return bytes.length > 1 ? bytes.subarray(0, Math.ceil(bytes.length / 2)) : Buffer.from([0x0a]);
}

function preview(b: Buffer): string {
  return JSON.stringify(b.subarray(0, 8).toString("latin1"));
}
