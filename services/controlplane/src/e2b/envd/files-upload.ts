import type { IncomingMessage, ServerResponse } from "node:http";
import { posix } from "node:path";
import { WriteFileResponse } from "@wrenn/gen/wrenn/api/v1/filesystem.js";
import { requestBody } from "../../transfer/body-frames.js";
import type { FileCalls } from "../../transfer/file-calls.js";
import { uploadParts, writeOne } from "../../transfer/upload.js";
import type { EnvdCaller } from "./envd-calls.js";
import { badRequest } from "./files-errors.js";
import { filesQuery, transferMetadata } from "./files-query.js";

/** What envd answers per written file. */
interface WriteInfo {
  path: string;
  name: string;
  type: "file";
}

/**
 * envd's `POST /files`: multipart parts named `file` (each to `path` when
 * the query gives one, else to its filename, which the SDK sets to the full
 * destination), or a raw application/octet-stream body to `path`, gzip when
 * it says `Content-Encoding: gzip`. Relative paths are the user's home's, as
 * in envd. Each file streams into one WriteFile call; answers
 * `[{path, name, type: "file"}]` in the order written.
 */
export async function handleFilesUpload(calls: FileCalls, req: IncomingMessage, res: ServerResponse, caller: EnvdCaller, signal: AbortSignal): Promise<void> {
  const query = filesQuery(req.url ?? "");
  // File metadata (envd 0.6.2's X-Metadata-* as xattrs) has nowhere to go in Wrenn yet: refused, not silently dropped.
  if (Object.keys(req.headers).some((name) => name.startsWith("x-metadata-"))) throw badRequest("file metadata (X-Metadata-* headers) is not supported");
  const metadata = transferMetadata(caller);
  const type = String(req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  let written: Uint8Array[];
  if (type === "multipart/form-data") {
    written = await uploadParts(calls, req, metadata, signal, (filename) => {
      const path = query.path ?? filename;
      if (!path) throw badRequest("a file part has no filename and the query no path");
      return { sandboxId: caller.sandboxId, path, user: query.username };
    });
  } else if (type === "application/octet-stream") {
    if (!query.path) throw badRequest("path is required for an application/octet-stream upload");
    const target = { sandboxId: caller.sandboxId, path: query.path, user: query.username };
    written = [await writeOne(calls, metadata, target, requestBody(req), signal)];
  } else {
    throw badRequest("the body must be multipart/form-data or application/octet-stream");
  }
  if (signal.aborted) return;
  const body = JSON.stringify(written.map(writeInfo));
  res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) }).end(body);
}

function writeInfo(response: Uint8Array): WriteInfo {
  const entry = WriteFileResponse.decode(response).entry;
  const path = entry?.path ?? "";
  return { path, name: entry?.name || posix.basename(path), type: "file" };
}
