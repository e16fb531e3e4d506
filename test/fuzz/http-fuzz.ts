import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FuzzTargets } from "./live-stack.js";

/**
 * A bounded Schemathesis run (all phases, stateful included) against the
 * live gateway's /openapi.json. Its HAR report gives the requests and their
 * statuses; any 5xx is a failure whatever Schemathesis concluded.
 */

const here = fileURLToPath(new URL(".", import.meta.url));
const repoRoot = join(here, "../..");

export interface HttpFuzzOptions {
  baseUrl: string;
  /** Sent with every request (the config reads it from the environment: it is on no command line and in no file). */
  apiKey: string;
  /** That key's id, which the run never revokes (schemathesis_hooks.py). */
  keyId: string;
  targets: FuzzTargets;
  seconds: number;
  workDir: string;
  schemathesis?: string;
}

export interface HttpFuzzResult {
  exitCode: number;
  sent: number;
  byStatus: Record<string, number>;
  serverErrors: { method: string; url: string; status: number; body: string }[];
  /** Schemathesis's own summary (its last lines). */
  summary: string[];
  logFile: string;
  durationMs: number;
}

/**
 * Checks the run fails on. Left out: positive_data_acceptance (the server
 * rightly refuses schema-valid requests on domain grounds: a stopped sandbox,
 * an unknown template, an occupied tag, with 400 FAILED_PRECONDITION), and
 * use_after_free / ensure_resource_availability (a destroyed sandbox stays
 * readable as STOPPED by design), and the auth checks
 * (test/fuzz/http-unauthenticated.ts checks every operation's refusal
 * without a key and with wrong ones, and team isolation has whole-stack tests).
 */
const excludedChecks = ["positive_data_acceptance", "use_after_free", "ensure_resource_availability", "ignored_auth", "object_level_authorization"];

export async function fuzzHttp(options: HttpFuzzOptions): Promise<HttpFuzzResult> {
  const started = Date.now();
  await mkdir(options.workDir, { recursive: true });
  const config = join(options.workDir, "schemathesis.toml");
  await writeFile(config, configToml(options.targets));
  const logFile = join(options.workDir, "schemathesis.log");
  const bin = options.schemathesis ?? process.env.WRENN_SCHEMATHESIS ?? join(repoRoot, ".venv-fuzz/bin/schemathesis");
  const args = [
    "--config-file",
    config,
    "--no-color",
    "run",
    `${options.baseUrl}/openapi.json`,
    "--max-time",
    String(options.seconds),
    "--workers",
    "2",
    "--checks",
    "all",
    "--exclude-checks",
    excludedChecks.join(","),
    "--request-timeout",
    "60",
    // A create that waits for its sandbox can take seconds on a loaded 2-core machine: slow is not broken.
    "--max-response-time",
    "60",
    "--report",
    "har",
    "--report-dir",
    options.workDir,
    "--warnings",
    "off",
  ];
  const exitCode = await new Promise<number>((resolve, reject) => {
    const out = createWriteStream(logFile);
    const child = spawn(bin, args, {
      cwd: options.workDir,
      env: { ...process.env, SCHEMATHESIS_HOOKS: "schemathesis_hooks", PYTHONPATH: here, NO_COLOR: "1", WRENN_FUZZ_API_KEY: options.apiKey, WRENN_FUZZ_KEY_ID: options.keyId },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.pipe(out);
    child.stderr.pipe(out);
    child.once("error", reject);
    child.once("close", (code) => resolve(code ?? 1));
  });

  const result: HttpFuzzResult = { exitCode, sent: 0, byStatus: {}, serverErrors: [], summary: [], logFile, durationMs: 0 };
  const har = (await readdir(options.workDir)).find((f) => f.startsWith("har-") && f.endsWith(".json"));
  if (har) {
    const entries = JSON.parse(await readFile(join(options.workDir, har), "utf8")).log.entries as HarEntry[];
    for (const e of entries) {
      result.sent++;
      const status = String(e.response.status);
      result.byStatus[status] = (result.byStatus[status] ?? 0) + 1;
      if (e.response.status >= 500 || e.response.status === 0) {
        result.serverErrors.push({ method: e.request.method, url: e.request.url.slice(0, 300), status: e.response.status, body: (e.response.content?.text ?? "").slice(0, 300) });
      }
    }
  }
  const log = (await readFile(logFile, "utf8")).split("\n");
  const from = log.findIndex((l) => /=+ SUMMARY =+/.test(l));
  result.summary = (from >= 0 ? log.slice(from) : log.slice(-40)).filter((l) => l.trim() !== "");
  result.durationMs = Date.now() - started;
  return result;
}

interface HarEntry {
  request: { method: string; url: string };
  response: { status: number; content?: { text?: string } };
}

/**
 * Real ids for the fuzzer to use part of the time, so requests reach the
 * sandbox and its process instead of stopping at "not found". Lifecycle
 * calls never get the shared sandbox (a destroy or a 1-second timeout would
 * take it from every later case); their stateful phase makes its own.
 */
function configToml(targets: FuzzTargets): string {
  return `# Written by test/fuzz/http-fuzz.ts for one run.
headers = { Authorization = "Bearer \${WRENN_FUZZ_API_KEY}" }

# The document declares both API key schemes: each carries the run's key (else Schemathesis fills X-API-Key with
# random text, and most requests stop at 401). No auto-signup: the run acts as the key's team only.
[auth]
auto-signup = false

[auth.openapi.bearer]
bearer = "\${WRENN_FUZZ_API_KEY}"

[auth.openapi.apiKey]
api_key = "\${WRENN_FUZZ_API_KEY}"

# Schemathesis's default list plus 426: a plain GET of a WebSocket route (OpenPty, StreamProcess) is 426 whatever its query.
[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "415", "422", "426", "428", "429", "5xx"]

[dictionaries.sandbox]
values = [${JSON.stringify(targets.sandboxId)}]

[dictionaries.selector]
values = [${JSON.stringify(targets.processTag)}, ${JSON.stringify(String(targets.processPid))}]

[[operations]]
exclude-operation-id-regex = "^(CreateSandbox|ListSandboxes|DestroySandbox|PauseSandbox|ResumeSandbox|SetSandboxTimeout|KillProcess)$"
parameters = { "path.sandbox_id" = { dictionary = "sandbox", probability = 0.6 } }
`;
}
