import { execFile } from "node:child_process";
import { Agent, request } from "node:https";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Stack } from "@wrenn/devstack";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const python = join(repo, ".venv/bin/python");

/**
 * The E2B_DOMAIN form for a stack started with `tls`: the SDKs build
 * `https://api.<domain>` and `https://49983-<id>.<domain>` from it, so the
 * domain carries the TLS listener's port (they concatenate it as it is).
 */
export function e2bDomainEnv(stack: Stack, apiKey: string): Record<string, string> {
  if (!stack.tls || !stack.httpsUrl) throw new Error("the stack was started without tls");
  return { E2B_DOMAIN: `${stack.tls.domain}:${new URL(stack.httpsUrl).port}`, E2B_API_KEY: apiKey };
}

/**
 * A child's environment: only PATH and HOME from ours, then `vars`. No
 * E2B_* setting leaks in from the test process, so a script is configured by
 * exactly what the test passes. The CA goes to both runtimes' knobs: Node
 * reads NODE_EXTRA_CA_CERTS at start, the Python SDK's HTTP client (pyqwest,
 * rustls with the system roots) reads SSL_CERT_FILE.
 */
function childEnv(vars: Record<string, string>, caFile?: string): NodeJS.ProcessEnv {
  const trust = caFile ? { NODE_EXTRA_CA_CERTS: caFile, SSL_CERT_FILE: caFile } : {};
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...trust, ...vars };
}

/** What a script printed as its last stdout line, parsed; a non-zero exit rejects with its stderr. */
function runForJson(file: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, cwd: repo, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${args[0]} failed (${err.message}):\n${stderr}\n${stdout}`));
      const last = stdout.trim().split("\n").pop() ?? "";
      try {
        resolve(JSON.parse(last));
      } catch {
        reject(new Error(`${args[0]} printed no JSON:\n${stdout}\n${stderr}`));
      }
    });
  });
}

/** Runs test/e2b-python/<name>.py with the repo's .venv (PyPI e2b installed by scripts/install-codegen.sh). */
export function runPythonScript(name: string, vars: Record<string, string>, options: { caFile?: string; args?: string[]; timeoutMs?: number } = {}): Promise<unknown> {
  const script = join(repo, "test/e2b-python", `${name}.py`);
  return runForJson(python, [script, ...(options.args ?? [])], childEnv(vars, options.caFile), options.timeoutMs ?? 120_000);
}

/** Runs test/e2b-js/<name>.mjs in a node of its own, so NODE_EXTRA_CA_CERTS is read at its start. */
export function runNodeScript(name: string, vars: Record<string, string>, options: { caFile?: string; args?: string[]; timeoutMs?: number } = {}): Promise<unknown> {
  const script = join(repo, "test/e2b-js", `${name}.mjs`);
  return runForJson(process.execPath, [script, ...(options.args ?? [])], childEnv(vars, options.caFile), options.timeoutMs ?? 120_000);
}

/** One HTTPS request through the system resolver, trusting only `ca`: status, body and the negotiated protocol. */
export function httpsGet(url: string, options: { ca?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; body: string; alpn: string | false }> {
  return new Promise((resolve, reject) => {
    // An HTTP/1.1 client offers only http/1.1 (the listener picks h2 for a client that offers it: e2b-h2.test.ts).
    const agent = new Agent({ ca: options.ca, ALPNProtocols: ["http/1.1"] });
    const req = request(url, { agent, headers: options.headers, timeout: 30_000 }, (res) => {
      const alpn = (res.socket as { alpnProtocol?: string | false } | null)?.alpnProtocol ?? false;
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        agent.destroy();
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), alpn });
      });
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", (err) => {
      agent.destroy();
      reject(err);
    });
    req.end();
  });
}
