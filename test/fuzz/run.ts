/**
 * The fuzz stage of CI: a real platform (namespace runtime, real PostgreSQL
 * and Redis), a bounded Schemathesis run against /openapi.json, then every
 * public gRPC method with adversarial bytes (the stack's API key on each, and
 * every method also without a key and with a wrong one, which must be
 * refused: UNAUTHENTICATED / HTTP 401). Fails on any HTTP 5xx, any
 * INTERNAL / UNKNOWN / DATA_LOSS, an UNAVAILABLE from a dead server, a
 * Schemathesis check failure, or a controlplane or host agent that no longer
 * answers (or is no longer the same process) afterwards.
 *
 * Then the E2B envd face (envd-fuzz.ts): every Connect method and envd's
 * plain routes over the gateway's HTTP port, with the fuzz sandbox's real
 * access token, without it and with another sandbox's id.
 *
 *   FUZZ_HTTP_SECONDS (default 130)  FUZZ_GRPC_SECONDS (default 110)  FUZZ_ENVD_SECONDS (default 60)
 */
import { execFileSync } from "node:child_process";
import { copyFile, mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fuzzGrpc, type GrpcFuzzResult } from "./grpc-fuzz.js";
import { runEnvdFuzz } from "./envd-run.js";
import type { EnvdFuzzResult } from "./envd-fuzz.js";
import { fuzzHttp, type HttpFuzzResult } from "./http-fuzz.js";
import { probeUnauthenticated } from "./http-unauthenticated.js";
import { startLiveStack } from "./live-stack.js";
import { checkLiveness, watch } from "./liveness.js";

const httpSeconds = Number(process.env.FUZZ_HTTP_SECONDS ?? 130);
const grpcSeconds = Number(process.env.FUZZ_GRPC_SECONDS ?? 110);
const envdSeconds = Number(process.env.FUZZ_ENVD_SECONDS ?? 60);
const say = (line: string): void => console.log(`[fuzz] ${line}`);

async function main(): Promise<number> {
  const started = Date.now();
  const workDir = await mkdtemp(join(tmpdir(), "wrenn-fuzz-"));
  say(`starting the platform (work files in ${workDir})`);
  const live = await startLiveStack();
  const problems: string[] = [];
  let http: HttpFuzzResult | undefined;
  let rpc: GrpcFuzzResult | undefined;
  let envd: EnvdFuzzResult | undefined;
  try {
    const watched = await watch({
      controlplaneGrpc: live.stack.grpcAddress,
      controlplaneHttp: live.stack.httpUrl,
      hostagent: live.stack.hostagentAddress,
    });
    say(`controlplane pid ${watched.pids.controlplane}, host agent pid ${watched.pids.hostagent}, sandbox ${live.targets.sandboxId}`);

    const refused = await probeUnauthenticated(live.stack.httpUrl, live.targets);
    say(`HTTP: ${refused.sent} calls with no key or a wrong one; ${refused.problems.length} not refused with 401`);
    problems.push(...refused.problems);

    if (httpSeconds > 0) {
      say(`HTTP: schemathesis for ${httpSeconds} s against ${live.stack.httpUrl}/openapi.json`);
      // A key of its own: its stateful phase may revoke what ListApiKeys shows it (the harness's key too, which refresh() replaces).
      const { apiKey, keyId } = await live.newKey("schemathesis");
      http = await fuzzHttp({ baseUrl: live.stack.httpUrl, apiKey, keyId, targets: live.targets, seconds: httpSeconds, workDir: join(workDir, "http") });
      for (const line of http.summary) console.log(`  ${line}`);
      if (http.exitCode !== 0) problems.push(`schemathesis exited with ${http.exitCode} (log: ${http.logFile})`);
      for (const e of http.serverErrors) problems.push(`HTTP ${e.status} for ${e.method} ${e.url}: ${e.body}`);
      const after = await checkLiveness(watched);
      problems.push(...after.problems.map((p) => `after the HTTP fuzz: ${p}`));
    }

    if (grpcSeconds > 0 && problems.every((p) => !p.startsWith("after"))) {
      await live.refresh();
      // A key of its own, as for Schemathesis: the creates it fuzzes use up that key's create rate, never the harness's,
      // which must still be able to make new targets. Replaced through the admin session if a fuzzed call revokes it.
      let fuzzKey = (await live.newKey("grpc fuzz")).apiKey;
      const refreshAll = async () => {
        await live.refresh();
        if (!(await keyStillWorks(live.stack.httpUrl, fuzzKey))) fuzzKey = (await live.newKey("grpc fuzz")).apiKey;
      };
      say(`gRPC: every public method for up to ${grpcSeconds} s`);
      rpc = await fuzzGrpc({
        address: live.stack.grpcAddress,
        packageName: "wrenn.api.v1",
        budgetMs: grpcSeconds * 1000,
        targets: () => live.targets,
        refresh: refreshAll,
        alive: async () => (await checkLiveness(watched)).ok,
        apiKey: () => fuzzKey,
      });
      for (const f of rpc.failures) {
        problems.push(`gRPC ${f.code} from ${f.method} (${f.label}): ${f.details}`);
        // An INTERNAL names a ref that its server logged with the cause (envd logs into its sandbox's directory).
        const ref = /\(ref ([0-9a-f]+)\)/.exec(f.details)?.[1];
        if (ref) problems.push(...(await linesMentioning(live.stack.dataDir, ref)).map((l) => `  logged: ${l}`));
      }
      const after = await checkLiveness(watched);
      problems.push(...after.problems.map((p) => `after the gRPC fuzz: ${p}`));
    }
    if (envdSeconds > 0 && problems.every((p) => !p.startsWith("after"))) {
      say(`E2B envd face: every Connect method, /files and /health for up to ${envdSeconds} s`);
      const run = await runEnvdFuzz(live, envdSeconds * 1000, async () => (await checkLiveness(watched)).ok);
      envd = run.result;
      for (const f of envd.failures) problems.push(`envd ${f.label}: ${f.problem} [${f.request}]`);
      problems.push(...run.afterProblems.map((p) => `after the envd fuzz: ${p}`));
      const after = await checkLiveness(watched);
      problems.push(...after.problems.map((p) => `after the envd fuzz: ${p}`));
    }
    problems.push(...(await fatalLogLines(live.stack.logDir)));
    // The stack's data directory goes with it: keep the service logs beside the fuzz reports.
    for (const name of ["controlplane.log", "hostagent.log"]) await copyFile(join(live.stack.logDir, name), join(workDir, name)).catch(() => undefined);
  } finally {
    await live.close().catch((err: unknown) => problems.push(`stopping the platform failed: ${String(err)}`));
  }

  say("summary");
  if (http) {
    say(`  HTTP: ${http.sent} requests in ${(http.durationMs / 1000).toFixed(0)} s; statuses ${formatCounts(http.byStatus)}; 5xx: ${http.serverErrors.length}`);
  }
  if (rpc) {
    const cut = rpc.sent < rpc.planned ? ` (${rpc.planned - rpc.sent} cases left when the budget ran out)` : "";
    say(`  gRPC: ${rpc.sent} calls to ${rpc.methods.length} methods in ${(rpc.durationMs / 1000).toFixed(0)} s${cut}; codes ${formatCounts(rpc.byCode)}`);
    for (const [note, n] of Object.entries(rpc.notes).sort((a, b) => b[1] - a[1]).slice(0, 10)) say(`    (not a failure) ${n}× ${note}`);
  }
  if (envd) {
    const cut = envd.sent < envd.planned ? ` (${envd.planned - envd.sent} cases left when the budget ran out)` : "";
    say(`  envd: ${envd.sent} requests in ${(envd.durationMs / 1000).toFixed(0)} s${cut}; statuses ${formatCounts(envd.byStatus)}`);
    if (envd.libraryInternals > 0) say(`    (not a failure) ${envd.libraryInternals}× connect-node's own internal for unparsable binary or a compressed flag with no encoding`);
  }
  say(`  failures: ${problems.length}`);
  for (const p of problems.slice(0, 50)) say(`    ${p}`);
  say(`  total ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return problems.length === 0 ? 0 : 1;
}

/** Fatal log lines (a crash, an uncaught error) in the services' logs. */
async function fatalLogLines(logDir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of ["controlplane", "hostagent"]) {
    const text = await readFile(join(logDir, `${name}.log`), "utf8").catch(() => "");
    for (const line of text.split("\n")) {
      if (/"level":60|uncaught|Uncaught|triggerUncaughtException/.test(line)) out.push(`${name} log: ${line.slice(0, 300)}`);
    }
  }
  return out;
}

/** Log lines under `dir` (every service and sandbox log) that mention `needle`, from services that logged the cause. */
async function linesMentioning(dir: string, needle: string): Promise<string[]> {
  try {
    const out = execFileSync("grep", ["-rhF", "--include=*.log", needle, dir], { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });
    return out
      .split("\n")
      .filter((l) => l !== "" && !l.includes("a peer answered with a server fault"))
      .map((l) => l.slice(0, 2000));
  } catch {
    return [];
  }
}

function formatCounts(counts: Record<string, number>): string {
  return Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k}×${v}`)
    .join(", ");
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error("[fuzz] could not run:", err);
    process.exit(2);
  },
);

/** Whether a key is still accepted (a fuzzed RevokeApiKey may have named it). */
async function keyStillWorks(httpUrl: string, key: string): Promise<boolean> {
  const response = await fetch(`${httpUrl}/v1/whoami`, { headers: { authorization: `Bearer ${key}` } });
  await response.body?.cancel();
  return response.status !== 401;
}
