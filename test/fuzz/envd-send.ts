import * as http from "node:http";

/**
 * One raw HTTP request to the E2B envd face and what came back, read the way
 * a Connect client would: the HTTP status, and the Connect error code (a
 * unary error's JSON body, or a stream's end-of-stream message). node:http,
 * not fetch: the fuzz sends what fetch refuses to (any method, Latin-1 bytes
 * in headers, bodies that never end).
 */

export interface EnvdRequest {
  label: string;
  method: string;
  /** Path and query, sent as they are. */
  path: string;
  headers: Record<string, string>;
  /** Bytes; "endless": a body written until the server answers (at most `endlessLimit` bytes), never ended. */
  body?: Buffer | "endless";
  /** "stream": the answer is a Connect stream, watched for a short window (a watch or an attached process never ends). */
  kind: "unary" | "stream" | "plain";
  /** Sent without a valid credential for the sandbox it names: any success is a failure. */
  refused?: boolean;
}

export interface EnvdOutcome {
  status?: number;
  /** The Connect code of an error answer ("invalid_argument"…), when the body had one. */
  code?: string;
  /** connect-node's own `internal` for a client's bad bytes (see libraryInternals): not a failure. */
  libraryInternal?: boolean;
  /** Why this is a server fault (a 500, internal/unknown/data_loss, a dropped connection, no answer in time, success without a credential). */
  problem?: string;
}

const answerTimeoutMs = 15_000;
const streamWindowMs = 400;
/** Past this much of an endless body with no answer, the server is reading without a limit. */
export const endlessLimit = 256 * 1024 * 1024;
const keepBytes = 64 * 1024;
const faultCodes = new Set(["internal", "unknown", "data_loss"]);
/**
 * connect-node 2.1.2's own `internal` answers to a client's bytes, before any
 * code of ours runs: a compressed flag with no encoding (connect-go answers
 * the same), and binary protobuf it cannot parse. Counted, not failures.
 */
const libraryInternals = [/^received compressed envelope, but do not know how to decompress/, /^parse binary: /];

export function sendEnvd(baseUrl: string, request: EnvdRequest): Promise<EnvdOutcome> {
  const url = new URL(baseUrl);
  return new Promise((resolve) => {
    let settled = false;
    let answered = false;
    const finish = (outcome: EnvdOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish({ problem: `no answer in ${answerTimeoutMs / 1000} s` }), answerTimeoutMs);
    const req = http.request({ host: url.hostname, port: url.port, method: request.method, path: request.path, headers: request.headers, agent: false });
    req.on("error", (err: NodeJS.ErrnoException) => {
      // A server that stops reading a body past its limit closes the connection: a refusal, not a drop.
      const big = request.body === "endless" || (request.body?.length ?? 0) > 1024 * 1024;
      if (big && (err.code === "EPIPE" || err.code === "ECONNRESET")) finish({ code: `closed while the body was coming (${err.code})` });
      else finish({ problem: `connection dropped before an answer (${err.code ?? err.message})` });
    });
    req.on("response", (res) => {
      answered = true;
      const status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let kept = 0;
      const judge = (complete: boolean): void => finish(judgeAnswer(request, status, Buffer.concat(chunks), complete));
      res.on("data", (chunk: Buffer) => {
        if (kept < keepBytes) chunks.push(chunk);
        kept += chunk.length;
      });
      res.on("end", () => judge(true));
      res.on("error", () => judge(false));
      // A cut after the status line: a drop unless the window ran out first (then it was us).
      res.on("aborted", () => judge(false));
      if (request.kind === "stream" && status === 200) setTimeout(() => judge(true), streamWindowMs);
    });
    if (request.body === "endless") {
      writeEndless(req, () => answered || settled);
    } else {
      req.end(request.body);
    }
  });
}

/** Writes zeros with back-pressure until `stop()` or the limit; then holds the request open (never ends it). */
function writeEndless(req: http.ClientRequest, stop: () => boolean): void {
  const chunk = Buffer.alloc(256 * 1024, 0x61);
  let written = 0;
  const pump = (): void => {
    while (!stop() && written < endlessLimit) {
      written += chunk.length;
      if (!req.write(chunk)) {
        req.once("drain", pump);
        return;
      }
    }
  };
  req.on("error", () => undefined);
  pump();
}

function judgeAnswer(request: EnvdRequest, status: number, body: Buffer, complete: boolean): EnvdOutcome {
  const { code, message } = request.kind === "stream" && status === 200 ? endStreamError(body) : jsonError(body);
  const outcome: EnvdOutcome = { status, code };
  outcome.libraryInternal = code === "internal" && libraryInternals.some((re) => re.test(message ?? ""));
  if (outcome.libraryInternal) return outcome;
  if (status === 500) outcome.problem = "HTTP 500";
  else if (code !== undefined && faultCodes.has(code)) outcome.problem = `Connect code ${code}`;
  else if (!complete && request.kind !== "stream") outcome.problem = `the answer (HTTP ${status}) was cut off`;
  else if (request.refused && status >= 200 && status < 300 && code === undefined) outcome.problem = `HTTP ${status} without a valid credential`;
  if (outcome.problem) outcome.problem += `: ${body.subarray(0, 200).toString("utf8")}`;
  return outcome;
}

/** The `code` of a Connect unary error body or envd's REST `{code, message}` (a number there: not a Connect code). */
function jsonError(body: Buffer): { code?: string; message?: string } {
  try {
    const parsed = JSON.parse(body.toString("utf8")) as { code?: unknown; message?: unknown };
    return typeof parsed.code === "string" ? { code: parsed.code, message: String(parsed.message ?? "") } : {};
  } catch {
    return {};
  }
}

/** The error code of a Connect stream's end message (flag 0x02), if it arrived within the window. */
function endStreamError(body: Buffer): { code?: string; message?: string } {
  let at = 0;
  while (at + 5 <= body.length) {
    const flags = body[at]!;
    const length = body.readUInt32BE(at + 1);
    const end = at + 5 + length;
    if (end > body.length) return {};
    if (flags & 0x02) {
      try {
        const parsed = JSON.parse(body.subarray(at + 5, end).toString("utf8")) as { error?: { code?: string; message?: string } };
        return { code: parsed.error?.code, message: parsed.error?.message };
      } catch {
        return { code: "end message is not JSON" };
      }
    }
    at = end;
  }
  return {};
}
