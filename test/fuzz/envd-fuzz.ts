import { connectCases, sdkHeaders, type EnvdCase, type EnvdContext } from "./envd-cases.js";
import { plainCases } from "./envd-plain-cases.js";
import { sendEnvd, type EnvdRequest } from "./envd-send.js";

/**
 * The E2B envd face under fuzz: every Connect method of process.Process and
 * filesystem.Filesystem and envd's plain routes, sent over the gateway's HTTP
 * port with the real sandbox's id and access token (and without them).
 * Plain routes, credentials and protocol abuse go first so a short budget
 * still covers them; then every method's field mutations, interleaved.
 *
 * A failure: HTTP 500, a Connect internal / unknown / data_loss, a dropped
 * connection, no answer within 15 s, a success without a valid credential, a
 * dead controlplane. Not a failure: 502 from /health (envd's "not running",
 * the SDKs' isRunning() reads it), 503 / 504 from Connect's unavailable /
 * deadline_exceeded while the servers stay up, 507 (a full disk).
 */

export interface EnvdFuzzOptions {
  baseUrl: string;
  budgetMs: number;
  /** The current context; `refresh` may replace the sandbox (a fuzzed call may end its tagged process). */
  context(): EnvdContext;
  refresh(): Promise<void>;
  /** False once the controlplane or host agent no longer answers, which ends the run. */
  alive(): Promise<boolean>;
}

export interface EnvdFailure {
  label: string;
  request: string;
  problem: string;
}

export interface EnvdFuzzResult {
  sent: number;
  planned: number;
  byStatus: Record<string, number>;
  /** connect-node's own `internal` answers to bad client bytes (not failures; see envd-send.ts). */
  libraryInternals: number;
  failures: EnvdFailure[];
  durationMs: number;
}

const concurrency = 6;

export async function fuzzEnvd(options: EnvdFuzzOptions): Promise<EnvdFuzzResult> {
  const started = Date.now();
  const { front, fields } = connectCases();
  const schedule: EnvdCase[] = [...plainCases(), ...front];
  for (let round = 0; fields.some((f) => round < f.length); round++) for (const f of fields) if (round < f.length) schedule.push(f[round]!);

  const result: EnvdFuzzResult = { sent: 0, planned: schedule.length, byStatus: {}, libraryInternals: 0, failures: [], durationMs: 0 };
  let next = 0;
  let dead = false;
  let refreshing: Promise<void> | undefined;
  const worker = async (): Promise<void> => {
    while (!dead && next < schedule.length && Date.now() - started <= options.budgetMs) {
      const i = next++;
      if (i % 40 === 0) refreshing = options.refresh();
      await refreshing;
      const request = schedule[i]!(options.context());
      const outcome = await sendEnvd(options.baseUrl, request);
      result.sent++;
      const key = outcome.status === undefined ? "no answer" : `${outcome.status}${outcome.code ? ` ${outcome.code}` : ""}`;
      result.byStatus[key] = (result.byStatus[key] ?? 0) + 1;
      if (outcome.libraryInternal) result.libraryInternals++;
      if (outcome.problem) result.failures.push({ label: request.label, request: describe(request), problem: outcome.problem.slice(0, 300) });
      if ((outcome.problem || (outcome.status ?? 0) >= 502) && !(await options.alive())) {
        dead = true;
        result.failures.push({ label: request.label, request: describe(request), problem: "the controlplane or host agent stopped answering after this request" });
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    result.durationMs = Date.now() - started;
  }
  return result;
}

/** After the run: the sandbox still answers the face (its /health, and a Stat through Connect). */
export async function envdStillAnswers(baseUrl: string, ctx: EnvdContext): Promise<string[]> {
  const problems: string[] = [];
  const health = await sendEnvd(baseUrl, { label: "health", method: "GET", path: "/health", headers: sdkHeaders(ctx), kind: "plain" });
  if (health.status !== 204) problems.push(`GET /health answers ${health.status ?? health.problem} (want 204)`);
  const stat = await sendEnvd(baseUrl, {
    label: "stat",
    method: "POST",
    path: "/filesystem.Filesystem/Stat",
    headers: sdkHeaders(ctx, { "content-type": "application/json", "connect-protocol-version": "1" }),
    body: Buffer.from(JSON.stringify({ path: "/tmp" })),
    kind: "unary",
  });
  if (stat.status !== 200) problems.push(`Filesystem/Stat answers ${stat.status ?? stat.problem} ${stat.code ?? ""} (want 200)`);
  return problems;
}

/** The request in one line, tokens left out. */
function describe(r: EnvdRequest): string {
  const size = r.body === undefined ? 0 : r.body === "endless" ? "endless" : r.body.length;
  return `${r.method} ${r.path.slice(0, 120)} (${r.headers["content-type"] ?? "no content-type"}, body ${size})`;
}
