import type { IncomingMessage, ServerResponse } from "node:http";
import type * as grpc from "@grpc/grpc-js";
import { posix } from "node:path";
import type { Readable } from "node:stream";
import busboy from "busboy";
import type { JsonValue } from "@bufbuild/protobuf";
import { Status } from "nice-grpc-common";
import { GatewayError, gatewayErrors, sendJson } from "../gateway/gateway-error.js";
import { metadataFromHeaders } from "../gateway/grpc-backend.js";
import type { RawRouteRequest } from "../gateway/index.js";
import { bodyError, frames, requestBody } from "./body-frames.js";
import type { FileCalls, FileTarget } from "./file-calls.js";
import { entryJson, requirePathParam, transferQuery } from "./transfer-request.js";

/** Enough for a project directory in one request; a form with more parts is refused rather than parsed forever. */
const maxFiles = 1000;

/**
 * POST …/files: an `application/octet-stream` body to `path`, or a
 * `multipart/form-data` body of files, each written where its part's
 * filename says (absolute, or relative to `path` as a directory, or to the
 * user's home). Answers `{ "entries": [EntryInfo…] }` in the order written.
 */
export async function handleUpload(calls: FileCalls, req: IncomingMessage, res: ServerResponse, request: RawRouteRequest): Promise<void> {
  const sandboxId = request.pathVars.get("sandbox_id") ?? "";
  const query = transferQuery(request.query);
  const type = String(req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  let entries: JsonValue[];
  if (type === "multipart/form-data") {
    const base = { sandboxId, path: query.path ?? "", user: query.user };
    const written = await uploadParts(calls, req, metadataFromHeaders(req), request.signal, (filename) => ({ ...base, path: partPath(base.path, filename) }));
    entries = written.map(entryJson);
  } else if (type === "application/octet-stream" || type === "") {
    const target = { sandboxId, path: requirePathParam(query), user: query.user };
    entries = [entryJson(await writeOne(calls, metadataFromHeaders(req), target, requestBody(req), request.signal))];
  } else {
    throw new GatewayError(Status.INVALID_ARGUMENT, "the body must be application/octet-stream or multipart/form-data", 415);
  }
  if (!request.signal.aborted) sendJson(res, 200, { entries });
}

/** Streams one file's bytes into one WriteFile call; a failed call (another team: NOT_FOUND) is the answer. Answers the encoded WriteFileResponse. */
export async function writeOne(calls: FileCalls, metadata: grpc.Metadata, target: FileTarget, body: Readable, signal: AbortSignal): Promise<Uint8Array> {
  const write = calls.write(target, metadata);
  const cancel = () => write.cancel();
  signal.addEventListener("abort", cancel, { once: true });
  try {
    for await (const frame of frames(body)) await write.send(frame);
    return await write.finish();
  } catch (err) {
    write.cancel();
    throw err;
  } finally {
    signal.removeEventListener("abort", cancel);
  }
}

/**
 * Multipart: busboy hands over one part at a time and parses no further
 * until that part's stream is read, so files are written one after another
 * and the request is read only as fast as the sandbox takes it. `targetOf`
 * says where a part goes by its filename (the route's own rule). Answers
 * the encoded WriteFileResponses in the order written.
 */
export async function uploadParts(
  calls: FileCalls,
  req: IncomingMessage,
  metadata: grpc.Metadata,
  signal: AbortSignal,
  targetOf: (filename: string) => FileTarget,
): Promise<Uint8Array[]> {
  let parser: busboy.Busboy;
  try {
    parser = busboy({ headers: req.headers, preservePath: true, limits: { files: maxFiles, fields: 0, fieldSize: 0 } });
  } catch (err) {
    throw gatewayErrors.invalidArgument(`malformed multipart request: ${err instanceof Error ? err.message : String(err)}`);
  }
  const entries: Uint8Array[] = [];
  let failure: unknown;
  let fail!: (err: unknown) => void;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => undefined);
  const stop = (err: unknown) => {
    failure ??= err;
    fail(failure);
  };
  let chain: Promise<void> = Promise.resolve();

  parser.on("file", (_field, stream, info) => {
    chain = chain.then(async () => {
      if (failure !== undefined) return void stream.resume();
      try {
        entries.push(await writeOne(calls, metadata, targetOf(info.filename ?? ""), stream, signal));
      } catch (err) {
        stream.resume();
        stop(err);
      }
    });
  });
  parser.on("field", (name) => stop(gatewayErrors.invalidArgument(`part ${JSON.stringify(name.slice(0, 64))} is not a file: every part needs a filename`)));
  parser.on("fieldsLimit", () => stop(gatewayErrors.invalidArgument("every part must be a file (with a filename)")));
  parser.on("filesLimit", () => stop(gatewayErrors.invalidArgument(`at most ${maxFiles} files per request`)));
  parser.on("error", (err: unknown) => stop(gatewayErrors.invalidArgument(`malformed multipart body: ${err instanceof Error ? err.message : String(err)}`)));

  const body = requestBody(req);
  body.on("error", (err) => stop(bodyError(err)));
  body.pipe(parser);
  const parsed = new Promise<void>((resolve) => parser.once("close", resolve));
  await Promise.race([parsed.then(() => chain), failed]);
  if (failure !== undefined) throw failure;
  if (entries.length === 0) throw gatewayErrors.invalidArgument("the form has no file parts");
  return entries;
}

/** Where a part goes: its filename if absolute, else under `dir` when given, else as is (envd resolves it in the user's home). */
function partPath(dir: string, filename: string): string {
  if (!filename) throw gatewayErrors.invalidArgument("a file part has an empty filename");
  if (filename.startsWith("/") || !dir) return filename;
  return posix.join(dir, filename);
}
