import type { ServerResponse } from "node:http";
import type { FileCalls } from "../../transfer/file-calls.js";
import type { EnvdCaller } from "./envd-calls.js";
import { transferMetadata } from "./files-query.js";

/**
 * `GET /health`: 204 while the sandbox answers a call (a stat of "/" with the
 * caller's token), 502 otherwise. The SDKs' `isRunning()` reads 502 as "not
 * running", which is what a killed, paused or unknown sandbox is; E2B's own
 * proxy answers 502 for those too. A wrong token looks the same as a gone
 * sandbox on purpose: nothing tells a caller which ids exist.
 */
export async function handleHealth(calls: FileCalls, res: ServerResponse, caller: EnvdCaller, signal: AbortSignal): Promise<void> {
  try {
    await calls.stat({ sandboxId: caller.sandboxId, path: "/" }, transferMetadata(caller), signal);
    res.writeHead(204).end();
  } catch {
    const body = JSON.stringify({ code: 502, message: `sandbox ${caller.sandboxId} is not running` });
    res.writeHead(502, { "content-type": "application/json", "content-length": Buffer.byteLength(body) }).end(body);
  }
}
