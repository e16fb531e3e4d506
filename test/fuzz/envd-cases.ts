import { gzipSync } from "node:zlib";
import type { DescMethod } from "@bufbuild/protobuf";
import { Filesystem } from "@wrenn/gen/e2b/filesystem/filesystem_pb.js";
import { Process } from "@wrenn/gen/e2b/process/process_pb.js";
import { casesFor } from "./cases.js";
import type { EnvdRequest } from "./envd-send.js";
import { baselineJson, jsonCasesFor, malformedJson } from "./envd-json.js";
import type { FuzzTargets } from "./live-stack.js";

/**
 * Fuzz requests for every Connect method of the E2B envd face
 * (process.Process, filesystem.Filesystem), built from the descriptors:
 * protocol abuse first (codecs, envelopes, headers, compression, methods,
 * credentials), then each request field mutated, in Connect JSON and in
 * binary protobuf (the gRPC fuzz's descriptor-driven cases).
 */

/** What a case needs at send time: the targets and the token may be replaced during the run. */
export interface EnvdContext {
  targets: FuzzTargets;
  /** The sandbox's envd access token (Sandbox.access_token). */
  token: string;
  /** A second sandbox of the same team: its id with the first one's token must be refused. */
  otherSandboxId: string;
}

export type EnvdCase = (ctx: EnvdContext) => EnvdRequest;

/** The id as the E2B SDKs send it (no dash). */
export const e2bId = (sandboxId: string): string => sandboxId.replace("-", "");
export const wrongToken = "A".repeat(43);

export function envdMethods(): DescMethod[] {
  return [...Process.methods, ...Filesystem.methods];
}

export function sdkHeaders(ctx: EnvdContext, extra: Record<string, string> = {}): Record<string, string> {
  return { "e2b-sandbox-id": e2bId(ctx.targets.sandboxId), "x-access-token": ctx.token, ...extra };
}

const streaming = (m: DescMethod): boolean => m.methodKind !== "unary";
const rpcPath = (m: DescMethod): string => `/${m.parent.typeName}/${m.name}`;

export function envelope(payload: Buffer, flags = 0, claimed = payload.length): Buffer {
  const head = Buffer.alloc(5);
  head[0] = flags;
  head.writeUInt32BE(claimed >>> 0, 1);
  return Buffer.concat([head, payload]);
}

/** A request as the SDK sends it for this method, in JSON (the SDK's codec) unless `binary`. */
function call(m: DescMethod, label: string, body: Buffer | "endless", binary: boolean, headers: Record<string, string> = {}, wrap = true): EnvdCase {
  const stream = streaming(m);
  const type = `application/${stream ? "connect+" : ""}${binary ? "proto" : "json"}`;
  return (ctx) => ({
    label: `${m.name}: ${label}`,
    method: "POST",
    path: rpcPath(m),
    // A deadline, as the SDK always sends (its requestTimeoutMs): input to a process that does not read its stdin
    // waits on the full pipe, in Wrenn as in E2B's envd, until the caller's deadline.
    headers: sdkHeaders(ctx, { "content-type": type, "connect-protocol-version": "1", "connect-timeout-ms": "10000", ...headers }),
    body: stream && wrap && body !== "endless" ? envelope(body) : body,
    kind: stream ? "stream" : "unary",
  });
}

const json = (m: DescMethod, t: FuzzTargets): Buffer => Buffer.from(JSON.stringify(baselineJson(m.input, t, 0)));

let bombBytes: Buffer | undefined;
/** 64 MiB of zeros in about 64 KiB of gzip (made once). */
export function gzipBomb(): Buffer {
  return (bombBytes ??= gzipSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 }));
}

/** Codec, envelope, header, compression and HTTP-method abuse of one method (with a baseline body). */
function protocolCases(m: DescMethod): EnvdCase[] {
  const stream = streaming(m);
  const out: EnvdCase[] = [];
  const withBody = (label: string, headers: Record<string, string>, body: (t: FuzzTargets) => Buffer | "endless", wrap = true): void => {
    out.push((ctx) => call(m, label, body(ctx.targets), false, headers, wrap)(ctx));
  };
  for (const type of ["text/plain", "application/grpc", "application/grpc-web+proto", "application/json; charset=utf-16", "application/x-www-form-urlencoded", ""]) {
    withBody(`content-type ${JSON.stringify(type)}`, { "content-type": type }, (t) => json(m, t));
  }
  withBody(`content-type of the other kind`, { "content-type": stream ? "application/json" : "application/connect+json" }, (t) => json(m, t), !stream);
  for (const version of ["", "2", "0", "x".repeat(4000)]) withBody(`connect-protocol-version ${version.slice(0, 8) || "missing"}`, { "connect-protocol-version": version }, (t) => json(m, t));
  for (const ms of ["abc", "-1", "99999999999", "0", "1", "1e3", " 5", "18446744073709551616"]) withBody(`connect-timeout-ms ${ms}`, { "connect-timeout-ms": ms }, (t) => json(m, t));
  withBody("huge header", { "x-fuzz": "h".repeat(12_000) }, (t) => json(m, t));
  withBody("endless body", {}, () => "endless", false);
  for (const [label, body] of malformedJson) withBody(label, {}, () => body);
  const garbageGzip = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad, 0xbe, 0xef, 0x00, 0xff]);
  const bomb = gzipBomb();
  if (stream) {
    const enc = "connect-content-encoding";
    withBody("envelope claims more than sent", {}, (t) => envelope(json(m, t), 0, json(m, t).length + 100), false);
    withBody("envelope claims less than sent", {}, (t) => envelope(json(m, t), 0, 2), false);
    withBody("envelope claims 4 GiB", {}, (t) => envelope(json(m, t), 0, 0xffffffff), false);
    withBody("envelope header cut", {}, () => Buffer.from([0, 0, 0]), false);
    withBody("no envelope", {}, (t) => json(m, t), false);
    withBody("two envelopes", {}, (t) => Buffer.concat([envelope(json(m, t)), envelope(json(m, t))]), false);
    for (const flags of [0x01, 0x02, 0x03, 0x80, 0xff]) withBody(`envelope flags ${flags}`, {}, (t) => envelope(json(m, t), flags), false);
    withBody("compressed flag, gzip garbage", { [enc]: "gzip" }, () => envelope(garbageGzip, 1), false);
    withBody("compressed flag, gzip cut", { [enc]: "gzip" }, (t) => envelope(gzipSync(json(m, t)).subarray(0, 12), 1), false);
    withBody("compressed flag, gzip bomb", { [enc]: "gzip" }, () => envelope(bomb, 1), false);
    withBody("compressed flag, valid gzip", { [enc]: "gzip" }, (t) => envelope(gzipSync(json(m, t)), 1), false);
    withBody("encoding br", { [enc]: "br" }, (t) => envelope(json(m, t), 1), false);
    withBody("encoding unknown", { [enc]: "x-fuzz", "connect-accept-encoding": ";;q=nan" }, (t) => envelope(json(m, t), 1), false);
  } else {
    withBody("gzip garbage", { "content-encoding": "gzip" }, () => garbageGzip);
    withBody("gzip cut", { "content-encoding": "gzip" }, (t) => gzipSync(json(m, t)).subarray(0, 12));
    withBody("gzip bomb", { "content-encoding": "gzip" }, () => bomb);
    withBody("valid gzip", { "content-encoding": "gzip" }, (t) => gzipSync(json(m, t)));
    withBody("content-encoding br", { "content-encoding": "br" }, (t) => json(m, t));
    withBody("content-encoding unknown", { "content-encoding": "x-fuzz, gzip", "accept-encoding": "gzip;q=nan" }, (t) => json(m, t));
    withBody("binary codec, json body", { "content-type": "application/proto" }, (t) => json(m, t));
  }
  for (const method of ["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]) {
    out.push((ctx) => ({
      label: `${m.name}: ${method}`,
      method,
      path: `${rpcPath(m)}?connect=v1&encoding=json&message=${encodeURIComponent(JSON.stringify(baselineJson(m.input, ctx.targets, 0)))}&base64=%%zz`,
      headers: sdkHeaders(ctx),
      kind: "unary",
    }));
  }
  return out;
}

/** The baseline with no token, a wrong one, another sandbox's id, ids of nothing: each must be refused. */
function credentialCases(m: DescMethod): EnvdCase[] {
  const stream = streaming(m);
  const variants: [string, (ctx: EnvdContext) => Record<string, string>][] = [
    ["no token", (ctx) => ({ "e2b-sandbox-id": e2bId(ctx.targets.sandboxId) })],
    ["wrong token", (ctx) => ({ "e2b-sandbox-id": e2bId(ctx.targets.sandboxId), "x-access-token": wrongToken })],
    ["another sandbox's id", (ctx) => ({ "e2b-sandbox-id": e2bId(ctx.otherSandboxId), "x-access-token": ctx.token })],
    ["another sandbox's host", (ctx) => ({ host: `49983-${e2bId(ctx.otherSandboxId)}.localhost`, "x-access-token": ctx.token })],
    ["an id of nothing", (ctx) => ({ "e2b-sandbox-id": `sb${"0".repeat(32)}`, "x-access-token": ctx.token })],
    ["a garbage id", (ctx) => ({ "e2b-sandbox-id": "../\u00ff\u00fe%00", "x-access-token": ctx.token })],
    ["an empty host id", (ctx) => ({ host: "49983-.localhost", "x-access-token": ctx.token })],
    ["basic auth garbage", (ctx) => ({ "e2b-sandbox-id": e2bId(ctx.targets.sandboxId), authorization: "Basic !!!!" })],
  ];
  return variants.map(([label, headers]) => (ctx) => ({
    label: `${m.name}: ${label}`,
    method: "POST",
    path: rpcPath(m),
    headers: { "content-type": stream ? "application/connect+json" : "application/json", "connect-timeout-ms": "10000", ...headers(ctx) },
    body: stream ? envelope(json(m, ctx.targets)) : json(m, ctx.targets),
    kind: stream ? "stream" : "unary",
    refused: true,
  }));
}

/** Every field of the request mutated, in both codecs. */
function fieldCases(m: DescMethod, others: DescMethod[]): EnvdCase[] {
  const out: EnvdCase[] = [];
  for (const c of jsonCasesFor(m.input)) out.push((ctx) => call(m, c.label, c.body(ctx.targets), false)(ctx));
  for (const c of casesFor(m.input, others.map((o) => o.input))) out.push((ctx) => call(m, `proto ${c.label}`, c.bytes(ctx.targets), true)(ctx));
  return out;
}

/** Per method: credentials and protocol first (the budget may end the run), then fields. */
export function connectCases(): { front: EnvdCase[]; fields: EnvdCase[][] } {
  const methods = envdMethods();
  const front: EnvdCase[] = [];
  for (const m of methods) front.push(...credentialCases(m), ...protocolCases(m));
  return { front, fields: methods.map((m) => fieldCases(m, methods.filter((o) => o !== m).slice(0, 4))) };
}
