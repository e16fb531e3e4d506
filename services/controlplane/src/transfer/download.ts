import type { IncomingMessage, ServerResponse } from "node:http";
import type * as grpc from "@grpc/grpc-js";
import { once } from "node:events";
import { FileType } from "@wrenn/gen/wrenn/envd/v1/filesystem.js";
import { gatewayErrors } from "../gateway/gateway-error.js";
import { metadataFromHeaders } from "../gateway/grpc-backend.js";
import type { RawRouteRequest } from "../gateway/index.js";
import { contentDisposition, contentType } from "./content-type.js";
import type { FileCalls, FileTarget } from "./file-calls.js";
import { requirePathParam, transferQuery } from "./transfer-request.js";

/**
 * GET …/files: the file's bytes as they are (no JSON framing), with its
 * length from StatFile up front. Chunks are pulled from ReadFile only as
 * fast as the client takes them. Errors before the first byte are the
 * gateway's JSON errors; a failure after it cuts the response, so a client
 * never takes a short file for a whole one.
 */
export async function handleDownload(calls: FileCalls, req: IncomingMessage, res: ServerResponse, request: RawRouteRequest): Promise<void> {
  const query = transferQuery(request.query);
  const target = { sandboxId: request.pathVars.get("sandbox_id") ?? "", path: requirePathParam(query), user: query.user };
  await sendFile(calls, target, metadataFromHeaders(req), res, request.signal, (path) => ({
    "content-type": contentType(path),
    "content-disposition": contentDisposition(path),
  }));
}

/**
 * The streaming half of a download, for any route that answers a file's
 * bytes (also the E2B face's `GET /files`): Content-Length from StatFile,
 * then ReadFile's chunks with back-pressure; `headers` adds the route's own
 * (given the file's path). A file that grows meanwhile is cut (the native
 * routes: a client never takes a changed file for a whole one), or with
 * `grown: "truncate"` sent as long as StatFile said (E2B's envd sends the
 * stat's length of a file still being appended to, and its SDKs expect it).
 */
export async function sendFile(
  calls: FileCalls,
  target: FileTarget,
  metadata: grpc.Metadata,
  res: ServerResponse,
  signal: AbortSignal,
  headers: (path: string) => Record<string, string>,
  grown: "cut" | "truncate" = "cut",
): Promise<void> {
  const entry = await calls.stat(target, metadata, signal);
  if (entry?.type === FileType.FILE_TYPE_DIRECTORY) throw gatewayErrors.invalidArgument(`${JSON.stringify(target.path.slice(0, 256))} is a directory`);
  const size = entry?.size ?? 0;

  const read = calls.read(target, metadata, signal);
  const chunks = read.chunks[Symbol.asyncIterator]();
  // The first chunk (or the end) before any header: a read that fails at once is still a JSON error.
  let next = await chunks.next();
  res.writeHead(200, {
    ...headers(entry?.path || target.path),
    "content-length": size,
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
  });
  let sent = 0;
  try {
    for (; !next.done; next = await chunks.next()) {
      let data = next.value;
      if (grown === "truncate" && sent + data.length >= size) {
        data = data.subarray(0, size - sent);
        sent = size;
        if (data.length > 0 && !res.write(data)) await once(res, "drain", { signal });
        // The rest is what was appended after the stat: not part of this answer.
        read.cancel();
        await chunks.return?.(undefined).catch(() => undefined);
        break;
      }
      sent += data.length;
      // The file grew since StatFile: more bytes than announced would corrupt the framing.
      if (sent > size) throw new Error("file changed during download");
      if (!res.write(data)) await once(res, "drain", { signal });
    }
    if (sent !== size) throw new Error("file changed during download");
    res.end();
  } catch (err) {
    read.cancel();
    res.destroy();
    if (!signal.aborted && !(err instanceof Error && err.message === "file changed during download")) throw err;
  }
}
