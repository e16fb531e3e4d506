import * as grpc from "@grpc/grpc-js";
import type { EnvdCaller } from "./envd-calls.js";
import { badRequest } from "./files-errors.js";

/** What envd's `/files` takes from the query: `path`, `username`; the SDK's URL signature is read but not checked (see the docs). */
export interface FilesQuery {
  path?: string;
  username?: string;
}

/** Each name at most once, so nothing downstream reads a different one than we do. */
export function filesQuery(url: string): FilesQuery {
  const question = url.indexOf("?");
  const params = new URLSearchParams(question < 0 ? "" : url.slice(question + 1));
  const out: FilesQuery = {};
  for (const name of ["path", "username"] as const) {
    const values = params.getAll(name);
    if (values.length > 1) throw badRequest(`${name} must be given at most once`);
    if (values[0]) out[name] = values[0];
  }
  return out;
}

/** The caller's metadata (the SDK's X-Access-Token as x-wrenn-access-token, the client's address) for the byte-level transfer calls, which take grpc-js Metadata. */
export function transferMetadata(caller: EnvdCaller): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const [key, values] of caller.metadata) {
    for (const value of values) metadata.add(key, typeof value === "string" ? value : Buffer.from(value));
  }
  return metadata;
}
