import type { IncomingMessage, ServerResponse } from "node:http";
import type { FileCalls } from "../../transfer/file-calls.js";
import { sendFile } from "../../transfer/download.js";
import type { EnvdCaller } from "./envd-calls.js";
import { badRequest } from "./files-errors.js";
import { filesQuery, transferMetadata } from "./files-query.js";

/**
 * envd's `GET /files?path=&username=`: the bytes as application/octet-stream
 * with Content-Length (0 for an empty file, which the SDK relies on), streamed
 * from ReadFile with back-pressure, so a download holds a few frames whatever
 * the file's size.
 */
export async function handleFilesDownload(calls: FileCalls, req: IncomingMessage, res: ServerResponse, caller: EnvdCaller, signal: AbortSignal): Promise<void> {
  const query = filesQuery(req.url ?? "");
  if (!query.path) throw badRequest("path is required");
  const target = { sandboxId: caller.sandboxId, path: query.path, user: query.username };
  await sendFile(calls, target, transferMetadata(caller), res, signal, () => ({ "content-type": "application/octet-stream" }), "truncate");
}
