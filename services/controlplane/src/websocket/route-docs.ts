import type { IncomingMessage, ServerResponse } from "node:http";
import { Status } from "nice-grpc-common";
import { errors } from "@wrenn/shared";
import { sendError } from "../gateway/gateway-error.js";

const errorResponse = (description: string) => ({ description, content: { "application/json": { schema: { type: "object" } } } });

/** What both routes answer besides the 101: a plain GET is 426 (after authentication, so no key is still 401). */
const responses = {
  "101": { description: "Switching Protocols: the bridge is open (protocol in the description)" },
  "400": errorResponse("A bad query or handshake"),
  "401": errorResponse("No or a bad credential"),
  "403": errorResponse("A cookie-authenticated upgrade from another origin, or a missing permission"),
  "404": errorResponse("No such sandbox (or another team's), or no process with that pid or tag"),
  "426": errorResponse("A plain GET: this route needs Upgrade: websocket"),
};

const protocolText =
  "WebSocket. Binary frames carry bytes: output from the server, input from the client. Text frames carry JSON: " +
  '{"type":"resize","cols":N,"rows":N} from the client; {"type":"started","pid":N,"tag":"…"}, ' +
  '{"type":"truncated","droppedBytes":N} and {"type":"exit","exitCode":N,"signal":"…"} from the server. ' +
  "Close 1000 when the process ended, 1001 at shutdown, 4000 + the gRPC status code on an error (reason: its message). " +
  "A slow reader slows the process; output is never dropped. Authenticate with ?token=<API key>, a key header, or the session cookie (same Origin).";

const token = { name: "token", in: "query", required: false, description: "An API key (browsers cannot set headers on a WebSocket)", schema: { type: "string" } };

export const ptyOperation: Record<string, unknown> = {
  operationId: "OpenPty",
  tags: ["ProcessService"],
  summary: "A terminal in the sandbox over a WebSocket",
  description: `${protocolText} A tag of a running process re-attaches to it and replays its buffered output; otherwise a login shell (or cmd, run by one) starts with that tag.`,
  parameters: [
    { name: "tag", in: "query", required: false, schema: { type: "string" }, description: "Re-attach to this running process, or name the new one" },
    { name: "cols", in: "query", required: false, schema: { type: "integer", minimum: 1, maximum: 65535 } },
    { name: "rows", in: "query", required: false, schema: { type: "integer", minimum: 1, maximum: 65535 } },
    { name: "cmd", in: "query", required: false, schema: { type: "string" }, description: "A command line run by a login shell instead of the shell" },
    { name: "user", in: "query", required: false, schema: { type: "string" } },
    { name: "cwd", in: "query", required: false, schema: { type: "string" } },
    token,
  ],
  responses,
};

export const streamOperation: Record<string, unknown> = {
  operationId: "StreamProcess",
  tags: ["ProcessService"],
  summary: "A running process's output (replayed from its start) and input over a WebSocket",
  description: `${protocolText} The selector is a pid (decimal) or a tag naming one running process.`,
  parameters: [token],
  responses,
};

/** 426 with the upgrade it needs (RFC 9110 §15.5.22). */
export function answerPlainGet(res: ServerResponse): void {
  sendError(res, Status.FAILED_PRECONDITION, "this route is a WebSocket: send Upgrade: websocket", 426, { upgrade: "websocket", connection: "Upgrade" });
}

/**
 * The handshake headers ws would refuse, refused before anything starts
 * (else a process would start for a socket that never opens).
 */
export function checkHandshake(req: IncomingMessage): void {
  const upgrade = req.headers.upgrade;
  if (typeof upgrade !== "string" || upgrade.toLowerCase() !== "websocket") throw errors.invalidArgument("Upgrade must be websocket");
  const key = req.headers["sec-websocket-key"];
  if (typeof key !== "string" || !/^[+/0-9A-Za-z]{22}==$/.test(key.trim())) throw errors.invalidArgument("a WebSocket handshake needs a valid Sec-WebSocket-Key");
  const version = req.headers["sec-websocket-version"];
  if (version !== "13" && version !== "8") throw errors.invalidArgument("Sec-WebSocket-Version must be 13");
}
