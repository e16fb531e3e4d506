import { Status } from "nice-grpc-common";

/**
 * The WebSocket bridge's message protocol (the two routes
 * `GET /v1/sandboxes/{sandbox_id}/pty` and
 * `GET /v1/sandboxes/{sandbox_id}/processes/{selector}/stream`).
 *
 * Opening. The upgrade is answered only once the process runs: a refusal
 * (no or a bad credential, another team's or an unknown sandbox, a bad
 * query, a tag that names no process) is an ordinary HTTP answer with the
 * API's JSON error body (401, 404, 400, 403, …), never a 101.
 *
 * Authentication: `?token=<API key>` (read on these two routes only, since a
 * browser cannot set headers on a WebSocket), `Authorization: Bearer` /
 * `X-API-Key` headers, or the browser session cookie. A cookie-authenticated
 * upgrade must come from a page of the same origin (its `Origin` host is the
 * request's Host, or the origin of WRENN_PUBLIC_URL): else 403.
 *
 * Frames:
 * - binary, server → client: output bytes (a PTY's terminal output; a
 *   process's stdout and stderr, interleaved as they came);
 * - binary, client → server: input bytes (keystrokes, or stdin);
 * - text, client → server: JSON control, `{"type":"resize","cols":N,"rows":N}`
 *   (a PTY only);
 * - text, server → client: JSON control, first `{"type":"started","pid":N,"tag":"…"}`,
 *   then `{"type":"truncated","droppedBytes":N}` when a re-attach's replay lost
 *   its oldest output, and last `{"type":"exit","exitCode":N,"signal":"…"}`
 *   (exitCode -1 and the signal's name when a signal ended it).
 *
 * Closing: 1000 after the exit message when the process ended; 1001 when the
 * controlplane shuts down; 4000 + the gRPC status code (4005 NOT_FOUND, 4014
 * UNAVAILABLE, …) when a call failed, with the error message (at most 123
 * bytes) as the reason; 1003 for a text frame that is not a control message.
 * A client that closes leaves the process running: a PTY is closed by envd
 * after 120 s without any client, and `?tag=` of a running PTY re-attaches to
 * it, replaying the output buffered since it started, oldest first.
 *
 * Flow: output is never dropped. While more than a high-water mark of output
 * is unsent to a slow client the bridge stops pulling the process's stream,
 * which stops the process's writes (gRPC flow control back to envd).
 * Keystrokes that arrive within a few milliseconds travel as one message.
 */
export interface StartedMessage {
  type: "started";
  pid: number;
  tag: string;
}

export interface ExitMessage {
  type: "exit";
  exitCode: number;
  signal: string;
}

export interface TruncatedMessage {
  type: "truncated";
  droppedBytes: number;
}

export type ServerControl = StartedMessage | ExitMessage | TruncatedMessage;

export interface ResizeMessage {
  type: "resize";
  cols: number;
  rows: number;
}

export const closeCodes = {
  normal: 1000,
  goingAway: 1001,
  unsupported: 1003,
  /** 4000 + gRPC status. */
  grpcBase: 4000,
} as const;

/** A close frame's reason is at most 123 bytes (RFC 6455 §5.5: 125 minus the code). */
const maxReasonBytes = 123;

export function closeCodeFor(code: Status): number {
  return closeCodes.grpcBase + code;
}

/** The message cut to fit a close frame, on a character boundary. */
export function closeReason(message: string): string {
  let reason = message;
  while (Buffer.byteLength(reason) > maxReasonBytes) reason = reason.slice(0, -1);
  return reason;
}

/** A client's text frame as a control message, or undefined when it is none we know. */
export function parseClientControl(text: string): ResizeMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const { type, cols, rows } = value as Record<string, unknown>;
  if (type !== "resize" || !isSize(cols) || !isSize(rows)) return undefined;
  return { type, cols, rows };
}

const isSize = (n: unknown): n is number => typeof n === "number" && Number.isInteger(n) && n > 0 && n <= 0xffff;
